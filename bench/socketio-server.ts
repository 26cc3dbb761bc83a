/**
 * What the gateway is measured against in the cluster scenarios: Socket.IO 4 with the Redis
 * adapter, doing what the gateway does with rooms, as plainly as Socket.IO allows.
 *
 *   - websocket transport only, no per-message deflate;
 *   - on connection the socket joins the room named by the handshake's `?room=`; `?user_id=`
 *     names it;
 *   - on a `message` event `{room, content}` from a member of `room`, the server emits
 *     `message` `{room, content, user_id, username, timestamp}` (the gateway's frame fields)
 *     to the room, through the adapter: to its own members, and via Redis to every other
 *     replica's.
 *
 * Run: `node dist/bench/socketio-server.js [port] [redis-url]`; prints `{"msg":"listening","port":N}`
 * once it listens and the adapter's subscriptions are live. Exits when its parent's IPC
 * channel closes, so a crashed orchestrator leaves nothing behind.
 */
import type { AddressInfo } from 'node:net';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';

const port = Number(process.argv[2] ?? 0);
const redisUrl = process.argv[3] ?? 'redis://127.0.0.1:6379';

// The orchestrator went away (crash, kill): never outlive it.
process.on('disconnect', () => process.exit(0));

async function main(): Promise<void> {
  const pubClient = new Redis(redisUrl);
  const subClient = pubClient.duplicate();
  for (const c of [pubClient, subClient]) c.on('error', (err: Error) => log({ level: 'warn', msg: 'redis error', error: err.message }));

  const io = new Server(port, { transports: ['websocket'], perMessageDeflate: false });
  io.adapter(createAdapter(pubClient, subClient));

  io.on('connection', (socket) => {
    const { room, user_id: userIdParam } = socket.handshake.query;
    const userId = typeof userIdParam === 'string' && userIdParam !== '' ? userIdParam : socket.id;
    if (typeof room === 'string' && room !== '') void socket.join(room);
    socket.on('message', (msg: { room?: unknown; content?: unknown } | null) => {
      if (typeof msg?.room !== 'string' || !socket.rooms.has(msg.room)) return;
      io.to(msg.room).emit('message', {
        room: msg.room,
        content: msg.content,
        user_id: userId,
        username: userId,
        timestamp: Math.floor(Date.now() / 1000),
      });
    });
  });

  // The adapter subscribes in its constructor; a command on the same connection after it
  // answers only once those subscriptions are in place, so no broadcast is missed.
  await subClient.subscribe('bench:adapter-ready');
  await pubClient.ping();
  const server = io.httpServer;
  if (!server.listening) await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  log({ level: 'info', msg: 'listening', port: (server.address() as AddressInfo).port });

  const stop = () => {
    void io.close();
    pubClient.disconnect();
    subClient.disconnect();
    setTimeout(() => process.exit(0), 200).unref();
  };
  process.on('SIGTERM', stop);
}

function log(entry: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(entry)}\n`);
}

main().catch((err: Error) => {
  process.stderr.write(`socketio-server: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
