/**
 * The baseline the gateway is measured against: a plain `ws` server doing the naive thing.
 * Every `message` frame is wrapped in the same JSON the gateway sends (stringified once)
 * and written to every client in the sender's room with `for (const c of members) c.send(data)`.
 * A client's room is its URL's `?room=` (none: the one room everybody without it shares).
 * No auth, no limits, no cluster: the `room` field is echoed.
 *
 * Run: `node dist/bench/ws-reference-server.js [port]`; prints `{"msg":"listening","port":N}`.
 * Exits when its parent's IPC channel closes, so a crashed orchestrator leaves nothing behind.
 */
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

const port = Number(process.argv[2] ?? 0);
const wss = new WebSocketServer({ port, host: '127.0.0.1', perMessageDeflate: false, maxPayload: 64 * 1024 });

const rooms = new Map<string, Set<WebSocket>>();

wss.on('connection', (ws, req) => {
  const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
  const userId = query.get('user_id') ?? 'anonymous';
  const room = query.get('room') ?? '';
  let members = rooms.get(room);
  if (members === undefined) rooms.set(room, (members = new Set()));
  members.add(ws);
  ws.on('close', () => {
    members.delete(ws);
    if (members.size === 0) rooms.delete(room);
  });
  ws.on('error', () => undefined);
  ws.on('message', (raw) => {
    let msg: { type?: unknown; room?: unknown; content?: unknown };
    try {
      msg = JSON.parse(raw.toString());
    } catch {
      return;
    }
    if (msg.type !== 'message') return;
    const data = JSON.stringify({
      type: 'message',
      room: msg.room,
      content: msg.content,
      user_id: userId,
      username: userId,
      timestamp: Math.floor(Date.now() / 1000),
    });
    for (const c of members) c.send(data);
  });
});

wss.on('listening', () => {
  process.stdout.write(`${JSON.stringify({ msg: 'listening', port: (wss.address() as AddressInfo).port })}\n`);
});

process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
