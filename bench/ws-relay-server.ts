/**
 * The floor signaling-2r is compared to: a plain `ws` relay doing only what a relay across
 * replicas must. Each replica subscribes a Redis channel per connected peer (`peer:{id}`) and
 * publishes `{type, from, data}` to the addressee's channel; whichever replica holds the
 * addressee writes it out. No auth, no rooms (a room's id is its creator's id and `join_room`
 * just answers), no limits: the same processes and hops as the gateway (client → replica →
 * Redis → replica → client) and nothing else.
 *
 * Run: `node dist/bench/ws-relay-server.js <replica number> <redis url>`; prints
 * `{"msg":"listening","port":N}`. Exits when its parent's IPC channel closes.
 */
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { type WebSocket, WebSocketServer } from 'ws';

const replica = Number(process.argv[2] ?? 1);
const redisUrl = process.argv[3] ?? 'redis://127.0.0.1:6379';
const pub = new Redis(redisUrl, { enableAutoPipelining: true });
const sub = new Redis(redisUrl);
const local = new Map<string, WebSocket>();
let next = 0;

sub.on('message', (channel: string, payload: string) => local.get(channel)?.send(payload));

const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false, maxPayload: 64 * 1024 });
wss.on('connection', (ws) => {
  const id = replica * 1_000_000 + ++next;
  const channel = `peer:${id}`;
  local.set(channel, ws);
  ws.on('error', () => undefined);
  ws.on('close', () => {
    local.delete(channel);
    void sub.unsubscribe(channel);
  });
  void sub.subscribe(channel).then(() => ws.send(JSON.stringify({ type: 'welcome', client_id: id })));
  ws.on('message', (raw) => {
    let f: { type?: unknown; to?: unknown; data?: unknown; room_id?: unknown };
    try {
      f = JSON.parse(raw.toString());
    } catch {
      return;
    }
    if (f.type === 'create_room') ws.send(JSON.stringify({ type: 'room_created', room_id: id }));
    else if (f.type === 'join_room') ws.send(JSON.stringify({ type: 'room_joined', room_id: f.room_id, peers: [f.room_id] }));
    else if (typeof f.to === 'number') void pub.publish(`peer:${f.to}`, JSON.stringify({ type: f.type, from: id, data: f.data }));
  });
});

wss.on('listening', () => {
  process.stdout.write(`${JSON.stringify({ msg: 'listening', port: (wss.address() as AddressInfo).port })}\n`);
});

process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
