/**
 * A load process for the `storm` scenario, forked by the orchestrator with an IPC channel
 * (see storm-protocol.ts). It opens its share of the clients, each in one room on one replica
 * (a window of handshakes in flight, several loopback source addresses), and holds them.
 * Its senders (the first client of each room it was given as a sender) send numbered
 * messages; every client counts what it received per sequence number and records latency.
 * When a client's connection drops (its replica was killed), it connects again at once to a
 * surviving replica's URL — a load balancer's job in production — and re-joins its room with
 * `since` set to the last position it saw, as @switchboard/client does: the replica replays
 * what it missed. Reconnects share the same window of handshakes in flight as the opening.
 */
import WebSocket from 'ws';
import { ERROR_PREFIX, MESSAGE_PREFIX, startsWith, USER_LIST_PREFIX } from './frame-bytes';
import { LatencyHistogram } from './histogram';
import { nowMs } from './load-protocol';
import { benchSocketIo } from './socketio-client';
import { failOpeningOn } from './ws-opening';
import type { StormClientPlan, StormCommand, StormEvent, StormReport } from './storm-protocol';

type OpenCommand = Extract<StormCommand, { cmd: 'open' }>;
type SendCommand = Extract<StormCommand, { cmd: 'send' }>;

const OPEN_TIMEOUT_MS = 60_000;

interface Held {
  plan: StormClientPlan;
  /** Its current connection: sends a chat message, says whether it is open, closes it. */
  wire?: { say(content: string): void; open(): boolean; terminate(): void };
  /** The last room position seen (join reply or message). */
  offset?: number;
  epoch?: string;
  /** The resume token of its last join reply: a resume presents it. */
  token?: string;
  /** Sequence numbers received (bit per sequence number of this room). */
  seen: Uint8Array;
  /** Its connection dropped at least once (the killed replica's clients). */
  moved: boolean;
  /** When its connection dropped, and when the re-join's `user_list` came. */
  droppedAt?: number;
  rejoinedAt?: number;
  recovered?: boolean;
}

const held: Held[] = [];
let mode: OpenCommand['mode'] = 'ws';
let localAddresses: string[] = [];
let window = 1;
let inFlight = 0;
const queue: Array<() => void> = [];
let closing = false;
let killedAt = Infinity;
let duplicates = 0;
let errorFrames = 0;
let firstError: string | undefined;
let reconnectFailures = 0;
let firstReconnectFailure: string | undefined;
const closes: Record<string, number> = {};
/** Latency of the clients that were never disconnected: before the kill, and from the kill on. */
const stayedBefore = new LatencyHistogram();
const stayedAfter = new LatencyHistogram();

function emit(e: StormEvent): void {
  if (process.connected) process.send!(e);
}

/** Runs `start` when a handshake slot is free; `start` calls the function it gets when its handshake is over. */
function slot(start: (release: () => void) => void): void {
  const run = () => {
    inFlight++;
    let released = false;
    start(() => {
      if (released) return;
      released = true;
      inFlight--;
      queue.shift()?.();
    });
  };
  if (inFlight < window) run();
  else queue.push(run);
}

function onMessage(h: Held, data: Buffer): void {
  const frame = JSON.parse(data.toString()) as { content?: string; offset?: number; epoch?: string };
  if (typeof frame.offset === 'number') h.offset = frame.offset;
  if (typeof frame.epoch === 'string') h.epoch = frame.epoch;
  onContent(h, frame.content);
}

function onContent(h: Held, content: unknown): void {
  // content: "s|<seq>|<sent µs>|padding"
  const parts = (typeof content === 'string' ? content : '').split('|', 3);
  const seq = Number(parts[1]);
  if (parts[0] !== 's' || !Number.isInteger(seq) || seq < 0) return;
  if (seq >= h.seen.length) {
    const grown = new Uint8Array(Math.max(seq + 1, h.seen.length * 2));
    grown.set(h.seen);
    h.seen = grown;
  }
  if (h.seen[seq]) duplicates++;
  h.seen[seq] = 1;
  if (h.moved || h.plan.sender) return;
  const sentUs = Number(parts[2]);
  const latencyUs = nowMs() * 1000 - sentUs;
  (sentUs / 1000 >= killedAt ? stayedAfter : stayedBefore).record(latencyUs);
}

/** Connects client `h` to `url`; resolves '' once it is in its room, else why it failed. */
function connect(h: Held, url: string, i: number): Promise<string> {
  return mode === 'socketio' ? connectSocketIo(h, url, i) : connectWs(h, url, i);
}

/** Socket.IO: in its room once connected (the server joins it from the query); no resume. */
function connectSocketIo(h: Held, url: string, i: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = benchSocketIo(url, h.plan.query, OPEN_TIMEOUT_MS, localAddresses[i % localAddresses.length]);
    const wire = { say: (content: string) => void socket.emit('message', { room: h.plan.room, content }), open: () => socket.connected, terminate: () => void socket.disconnect() };
    h.wire = wire;
    let settled = false;
    const settle = (why: string) => {
      if (settled) return;
      settled = true;
      if (why) socket.disconnect();
      resolve(why);
    };
    socket.on('message', (msg: { content?: unknown } | null) => onContent(h, msg?.content));
    socket.once('connect', () => {
      if (h.moved) h.rejoinedAt = nowMs();
      settle('');
    });
    socket.once('connect_error', (err: Error) => settle(err.message));
    socket.once('disconnect', (reason: string) => {
      if (settled && h.wire === wire) dropped(h, i, reason);
      settle(`disconnected (${reason}) before ready`);
    });
  });
}

function connectWs(h: Held, url: string, i: number): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true, localAddress: localAddresses[i % localAddresses.length] });
    const wire = {
      say: (content: string) => ws.send(JSON.stringify({ type: 'message', room: h.plan.room, content })),
      open: () => ws.readyState === WebSocket.OPEN,
      terminate: () => ws.terminate(),
    };
    h.wire = wire;
    let settled = false;
    /** Its join reply came: a close from now on is a dropped connection, not a failed attempt. */
    let joined = false;
    const timer = setTimeout(() => settle(`not ready within ${OPEN_TIMEOUT_MS}ms`), OPEN_TIMEOUT_MS);
    function settle(why: string): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (why) ws.terminate();
      resolve(why);
    }
    ws.on('message', (data: Buffer) => {
      if (startsWith(data, MESSAGE_PREFIX)) return onMessage(h, data);
      if (startsWith(data, USER_LIST_PREFIX)) {
        if (!settled) {
          const frame = JSON.parse(data.toString()) as { offset?: number; epoch?: string; recovered?: boolean; resume_token?: string };
          if (typeof frame.offset === 'number') h.offset = frame.offset;
          if (typeof frame.epoch === 'string') h.epoch = frame.epoch;
          if (typeof frame.resume_token === 'string') h.token = frame.resume_token;
          if (h.moved) {
            h.rejoinedAt = nowMs();
            h.recovered = frame.recovered;
          }
        }
        joined = true;
        return settle('');
      }
      if (startsWith(data, ERROR_PREFIX)) {
        errorFrames++;
        firstError ??= data.toString().slice(0, 300);
      }
    });
    failOpeningOn(ws, settle, (code) => {
      if (joined && h.wire === wire) dropped(h, i, code);
    });
  });
}

/** The client's connection dropped after it was ready: connect again to a surviving replica and resume. */
function dropped(h: Held, i: number, code: number | string): void {
  if (closing) return;
  closes[code] = (closes[code] ?? 0) + 1;
  h.moved = true;
  h.droppedAt ??= nowMs();
  h.rejoinedAt = undefined;
  const attempt = (n: number) =>
    slot((release) => {
      const url = new URL(h.plan.fallback[n % h.plan.fallback.length]);
      if (mode === 'ws' && h.offset !== undefined && h.epoch !== undefined) {
        url.searchParams.set('since', String(h.offset));
        url.searchParams.set('epoch', h.epoch);
        // A resume replays only what this token's holder missed (no token: nothing is replayed).
        if (h.token !== undefined) url.searchParams.set('resume_token', h.token);
      }
      void connect(h, mode === 'ws' ? url.toString() : h.plan.fallback[n % h.plan.fallback.length], i).then((why) => {
        release();
        if (!why || closing) return;
        reconnectFailures++;
        firstReconnectFailure ??= why;
        if (n < 20) setTimeout(() => attempt(n + 1), 100).unref();
      });
    });
  attempt(0);
}

async function open(cmd: OpenCommand): Promise<void> {
  mode = cmd.mode;
  localAddresses = cmd.localAddresses;
  window = cmd.window;
  let failed = 0;
  let firstFailure: string | undefined;
  const firstStartAt = nowMs();
  await Promise.all(
    cmd.clients.map(
      (plan) =>
        new Promise<void>((done) =>
          slot((release) => {
            const h: Held = { plan, seen: new Uint8Array(64), moved: false };
            const i = held.push(h) - 1;
            void connect(h, plan.url, i).then((why) => {
              release();
              if (why) {
                failed++;
                firstFailure ??= why;
              }
              done();
            });
          }),
        ),
    ),
  );
  emit({ ev: 'opened', connected: cmd.clients.length - failed, failed, firstFailure, firstStartAt, lastReadyAt: nowMs() });
}

/** Sends `total` messages at `rate`/s, round-robin over this process's senders, numbered per room. */
async function send(cmd: SendCommand): Promise<void> {
  const senders = held.filter((h) => h.plan.sender);
  const perRoom = new Map<string, number>();
  const startAt = nowMs();
  const padding = 'x'.repeat(cmd.payloadBytes);
  for (let k = 0; k < cmd.total; k++) {
    const due = startAt + (k * 1000) / cmd.rate;
    const wait = due - nowMs();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const h = senders[k % senders.length];
    const seq = perRoom.get(h.plan.room) ?? 0;
    perRoom.set(h.plan.room, seq + 1);
    const head = `s|${seq}|${Math.round(nowMs() * 1000)}|`;
    if (h.wire?.open()) h.wire.say(head + padding.slice(0, Math.max(0, cmd.payloadBytes - head.length)));
  }
  emit({ ev: 'sent', perRoom: Object.fromEntries(perRoom) });
}

function report(): StormReport {
  const receivedByRoom: Record<string, number> = {};
  const clientsByRoom: Record<string, number> = {};
  let moved = 0;
  let rejoined = 0;
  let recovered = 0;
  let lastRejoinAt = 0;
  let firstDropAt = Infinity;
  for (const h of held) {
    if (h.plan.sender) continue;
    let got = 0;
    for (let s = 0; s < h.seen.length; s++) got += h.seen[s];
    receivedByRoom[h.plan.room] = (receivedByRoom[h.plan.room] ?? 0) + got;
    clientsByRoom[h.plan.room] = (clientsByRoom[h.plan.room] ?? 0) + 1;
    if (!h.moved) continue;
    moved++;
    if (h.droppedAt !== undefined) firstDropAt = Math.min(firstDropAt, h.droppedAt);
    if (h.rejoinedAt !== undefined) {
      rejoined++;
      lastRejoinAt = Math.max(lastRejoinAt, h.rejoinedAt);
      if (h.recovered) recovered++;
    }
  }
  return {
    clients: held.filter((h) => !h.plan.sender).length,
    receivedByRoom,
    clientsByRoom,
    duplicates,
    moved,
    rejoined,
    recovered,
    firstDropAt: Number.isFinite(firstDropAt) ? firstDropAt : undefined,
    lastRejoinAt: lastRejoinAt || undefined,
    reconnectFailures,
    firstReconnectFailure,
    stayedBefore: stayedBefore.toJSON(),
    stayedAfter: stayedAfter.toJSON(),
    closes,
    errorFrames,
    firstError,
  };
}

process.on('message', (msg: StormCommand) => {
  const run = async (): Promise<void> => {
    switch (msg.cmd) {
      case 'open':
        return open(msg);
      case 'send':
        return send(msg);
      case 'killed':
        killedAt = msg.at;
        return;
      case 'report':
        return emit({ ev: 'report', report: report() });
      case 'close':
        closing = true;
        for (const h of held) h.wire?.terminate();
        setImmediate(() => process.exit(0));
    }
  };
  run().catch((err: Error) => emit({ ev: 'fatal', error: err.stack ?? err.message }));
});

// The orchestrator went away (crash, kill): never outlive it.
process.on('disconnect', () => process.exit(0));
