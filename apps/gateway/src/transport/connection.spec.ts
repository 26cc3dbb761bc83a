import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { Identity } from '@switchboard/auth';
import { CommandError, ErrorCode, roomsChatCodec } from '@switchboard/protocol';
import { Connection, type ConnectionContext } from './connection';
import { OutboundFrame } from './outbound-frame';
import { WebSocketWire } from './websocket.wire';
import { WriteBatcher } from './write-batcher';

const identity: Identity = { userId: 'u1', username: 'alice', permissions: [], authenticated: true };
const turn = () => new Promise((r) => setImmediate(r));

function setup(overrides: Partial<ConnectionContext> = {}, socketTakes = true) {
  const writes: Buffer[] = [];
  const closed: Array<[number, string]> = [];
  // Like ws: close() leaves OPEN for CLOSING at once.
  const ws = { readyState: 1, close: (code: number, reason: string) => (closed.push([code, reason]), (ws.readyState = 2)), terminate: () => undefined, once: () => ws };
  const drains: Array<() => void> = [];
  const socket = { writableLength: 0, write: (b: Buffer) => (writes.push(b), socketTakes), once: (_event: 'drain', listener: () => void) => drains.push(listener) };
  const errors: string[] = [];
  const ctx: ConnectionContext = {
    batcher: new WriteBatcher(),
    flow: { queuedMore: () => undefined, queuedLess: () => undefined } as never,
    maxPendingBytes: 1024,
    messageRate: 1,
    messageBurst: 3,
    rateLimitStrikes: 2,
    onErrorFrame: (code) => errors.push(code),
    onInternalError: () => undefined,
    ...overrides,
  };
  const conn = new Connection('1', identity, roomsChatCodec, { chat: roomsChatCodec }, new WebSocketWire(ws as unknown as WebSocket, socket as unknown as Duplex), ctx);
  return { conn, writes, closed, errors, socket, drains };
}

const frame = (text: string) => new OutboundFrame(text);
const frames = (writes: Buffer[]) => Buffer.concat(writes).toString('latin1');

/** The texts of unmasked server frames under 64 KiB, in order. */
function texts(bytes: Buffer): string[] {
  const out: string[] = [];
  for (let at = 0; at < bytes.length; ) {
    let length = bytes[at + 1] & 0x7f;
    let head = 2;
    if (length === 126) [length, head] = [bytes.readUInt16BE(at + 2), 4];
    out.push(bytes.toString('utf8', at + head, at + head + length));
    at += head + length;
  }
  return out;
}

describe('Connection', () => {
  it('runs commands one after another, even when one has to wait', async () => {
    const { conn } = setup();
    const order: string[] = [];
    conn.run(async () => {
      await new Promise((r) => setTimeout(r, 10));
      order.push('slow');
    });
    conn.run(() => void order.push('fast'));
    conn.run(async () => void order.push('last'));
    await new Promise((r) => setTimeout(r, 30));
    expect(order).toEqual(['slow', 'fast', 'last']);
  });

  it('answers a refused command with an error frame and goes on', async () => {
    const { conn, writes, errors } = setup();
    conn.run(() => {
      throw new CommandError(ErrorCode.NotInRoom, 'not in room "x"');
    });
    conn.run(() => ({ kind: 'pong', ts: 0 }));
    await turn();
    expect(errors).toEqual([ErrorCode.NotInRoom]);
    const text = frames(writes);
    expect(text).toContain('not in room');
    expect(text).toContain('"pong"');
  });

  it('names the command a refusal answers (re, room), and only that command', async () => {
    const { conn, writes } = setup();
    conn.run(
      async () => {
        await turn();
        throw new CommandError(ErrorCode.RoomFull, 'room full');
      },
      { re: 'join', room: 'r1' },
    );
    conn.run(() => conn.refuse(ErrorCode.Forbidden, 'no'), { re: 'join_room', room: 'r2' });
    conn.run(() => {
      throw new Error('boom');
    }, { re: 'ping' });
    await turn();
    await turn();
    // After the commands are done, an error reported late names nothing unless told.
    conn.error(ErrorCode.Unavailable, 'bus down');
    conn.error(ErrorCode.UnknownPeer, 'gone', { re: 'offer' });
    await turn();
    const sent = texts(Buffer.concat(writes)).map((t) => JSON.parse(t) as { data: { code: string }; re?: string; room?: string });
    expect(sent.map((f) => [f.data.code, f.re, f.room])).toEqual([
      [ErrorCode.RoomFull, 'join', 'r1'],
      [ErrorCode.Forbidden, 'join_room', 'r2'],
      [ErrorCode.Internal, 'ping', undefined],
      [ErrorCode.Unavailable, undefined, undefined],
      [ErrorCode.UnknownPeer, 'offer', undefined],
    ]);
  });

  it('lets join/leave notices wait for the notice delay, and sends them first when another frame comes', async () => {
    const { conn, writes } = setup({ batcher: new WriteBatcher(0, 500) });
    conn.write(new OutboundFrame('{"n":1}', undefined, true));
    await turn();
    conn.write(new OutboundFrame('{"n":2}', undefined, true));
    await turn();
    expect(writes).toEqual([]);
    for (const deadline = Date.now() + 5000; writes.length === 0 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20));
    expect(writes).toHaveLength(1);
    expect(texts(writes[0])).toEqual(['{"n":1}', '{"n":2}']);

    writes.length = 0;
    conn.write(new OutboundFrame('{"n":3}', undefined, true));
    conn.write(frame('{"m":1}'));
    await turn();
    expect(writes).toHaveLength(1);
    expect(texts(writes[0])).toEqual(['{"n":3}', '{"m":1}']);
  });

  it('writes every frame queued in one turn with one socket write', async () => {
    const { conn, writes } = setup();
    const a = frame('{"a":1}');
    const b = frame('{"b":2}');
    expect(conn.write(a)).toBe(true);
    expect(conn.write(b)).toBe(true);
    expect(writes).toEqual([]);
    await turn();
    expect(writes).toHaveLength(1);
    expect(writes[0]).toEqual(Buffer.concat([a.websocket, b.websocket]));
    expect(conn.pendingBytes).toBe(0);
  });

  describe('an opening held back (a corked WebSocket upgrade)', () => {
    /** A socket that, like net.Socket, keeps what is written while corked and writes it in one go on uncork. */
    function held() {
      const sent: string[] = [];
      let corked: string[] | undefined = ['HTTP/1.1 101'];
      const socket = {
        writableLength: 0,
        write: (b: Buffer) => ((corked ? corked.push(b.toString('latin1')) : sent.push(b.toString('latin1'))), true),
        uncork: () => {
          if (corked) sent.push(corked.join(''));
          corked = undefined;
        },
        once: () => socket,
      };
      const ws = { readyState: 1, close: () => ((ws.readyState = 2), socket.write(Buffer.from('<close>'))), terminate: () => undefined, once: () => ws };
      const ctx = { batcher: new WriteBatcher(), flow: { queuedMore: () => undefined, queuedLess: () => undefined }, maxPendingBytes: 1 << 20, messageRate: 1, messageBurst: 3, rateLimitStrikes: 2, onErrorFrame: () => undefined, onInternalError: () => undefined } as unknown as ConnectionContext;
      const conn = new Connection('1', identity, roomsChatCodec, { chat: roomsChatCodec }, new WebSocketWire(ws as unknown as WebSocket, socket as unknown as Duplex, true), ctx);
      return { conn, sent };
    }

    it('sends the 101 with the replies of the opening commands, in one write, once they settled', async () => {
      const { conn, sent } = held();
      let join!: () => void;
      conn.run(() => new Promise<void>((resolve) => (join = resolve)).then(() => ({ kind: 'pong' as const, ts: 1 })));
      conn.run(() => ({ kind: 'pong', ts: 2 }));
      conn.releaseWhenSettled();
      await turn();
      conn.ping();
      await turn();
      expect(sent).toEqual([]);
      join();
      await new Promise((r) => setTimeout(r, 5));
      expect(sent).toHaveLength(1);
      // The 101, the heartbeat's ping (0x89 0x00) and both replies, in order.
      expect(sent[0]).toMatch(/^HTTP\/1\.1 101\x89\x00.*"pong".*"pong"/s);
      conn.send('{"later":true}');
      await turn();
      expect(sent).toHaveLength(2);
    });

    it('lets go at the end of the turn when the opening queued nothing', async () => {
      const { conn, sent } = held();
      conn.releaseWhenSettled();
      expect(sent).toEqual([]);
      await turn();
      expect(sent).toEqual(['HTTP/1.1 101']);
    });

    it('lets go when the connection closes while its opening still runs: the close frame leaves with the 101', async () => {
      const { conn, sent } = held();
      conn.run(() => new Promise<void>(() => undefined));
      conn.releaseWhenSettled();
      await turn();
      conn.close(1001, 'going away', 'drain');
      expect(sent).toEqual(['HTTP/1.1 101<close>']);
    });
  });

  it('sheds a client whose unsent data passes its bound (1013) and writes nothing more to it', async () => {
    const { conn, closed, socket, writes, drains } = setup({}, false);
    const first = frame('x'.repeat(100));
    conn.write(first);
    await turn(); // the socket pushed back: the rest waits for drain
    socket.writableLength = 600;
    conn.write(frame('y'.repeat(600)));
    await turn();
    expect(closed).toEqual([[1013, 'slow consumer']]);
    expect(conn.closeReason).toBe('slow_consumer');
    // Nothing after the shed reaches the socket: not the backlog, not a later frame, not on drain.
    expect(conn.write(frame('z'))).toBe(false);
    socket.writableLength = 0;
    for (const drained of drains.splice(0)) drained();
    await turn();
    expect(writes).toEqual([first.websocket]);
    expect(conn.pendingBytes).toBe(0);
  });

  it('admits a burst, drops past it, and asks to close after repeated strikes', () => {
    const { conn } = setup();
    const t = Date.now();
    expect([conn.admitFrame(t), conn.admitFrame(t), conn.admitFrame(t)]).toEqual(['ok', 'ok', 'ok']);
    expect(conn.admitFrame(t)).toBe('drop');
    expect(conn.firstStrike).toBe(true);
    expect(conn.admitFrame(t)).toBe('close');
    expect(conn.closeReason).toBe('rate_limit');
  });

  it('refills at the message rate', () => {
    const { conn } = setup();
    const t = Date.now();
    for (let i = 0; i < 3; i++) conn.admitFrame(t);
    expect(conn.admitFrame(t + 1000)).toBe('ok');
    expect(conn.admitFrame(t + 1000)).toBe('drop');
  });
});
