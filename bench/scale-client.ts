/**
 * A load process for the size scenarios (`fill-room`, `idle-many`), forked by the
 * orchestrator with an IPC channel (see scale-protocol.ts). It opens its share of many
 * connections, keeping a window of handshakes in flight (a new one starts as soon as one is
 * ready), each bound to one of several loopback source addresses so no single address runs
 * out of ephemeral ports. Then it holds them: counts `message` frames, keeps the last
 * `user_list` reply, measures the interval between pings at every client, and, on command,
 * mutes a client's pong replies or sends probe messages whose latency every client records.
 */
import WebSocket from 'ws';
import { ERROR_PREFIX, MESSAGE_PREFIX, startsWith, USER_LIST_PREFIX } from './frame-bytes';
import { LatencyHistogram } from './histogram';
import { nowMs } from './load-protocol';
import { failOpeningOn } from './ws-opening';
import type { ScaleClientPlan, ScaleCommand, ScaleEvent, ScaleReport } from './scale-protocol';
import { sleep } from '@switchboard/testing';
import { benchSocketIo } from './socketio-client';

type OpenCommand = Extract<ScaleCommand, { cmd: 'open' }>;
type ProbeCommand = Extract<ScaleCommand, { cmd: 'probe' }>;

const OPEN_TIMEOUT_MS = 60_000;
const PROBE_PREFIX = 'probe|';

interface Held {
  send(frame: string): void;
  terminate(): void;
  /** Stops answering pings (ws only). */
  mute(): void;
}

const held: Held[] = [];
/**
 * Per client (by index in `held`): it became ready; it got a message since the last reset; it
 * saw a ping interval (two pings) since the last reset; when its last ping came (ms, 0: none yet).
 */
let ready = new Uint8Array(0);
let gotMessage = new Uint8Array(0);
let gotPingInterval = new Uint8Array(0);
let lastPingAt = new Float64Array(0);
const muted = new Set<number>();
let messages = 0;
let userList: ScaleReport['userList'];
let pingIntervals = new LatencyHistogram();
let probeLatency = new LatencyHistogram();
const closes: Record<string, number> = {};
let errorFrames = 0;
let firstError: string | undefined;
let closing = false;

function emit(e: ScaleEvent): void {
  if (process.connected) process.send!(e);
}

function grown<T extends Uint8Array | Float64Array>(a: T, n: number, make: (n: number) => T): T {
  const b = make(n);
  b.set(a);
  return b;
}

function grow(n: number): void {
  if (gotMessage.length >= n) return;
  ready = grown(ready, n, (k) => new Uint8Array(k));
  gotMessage = grown(gotMessage, n, (k) => new Uint8Array(k));
  gotPingInterval = grown(gotPingInterval, n, (k) => new Uint8Array(k));
  lastPingAt = grown(lastPingAt, n, (k) => new Float64Array(k));
}

function onMessage(index: number, content: unknown): void {
  const now = nowMs();
  messages++;
  gotMessage[index] = 1;
  if (typeof content === 'string' && content.startsWith(PROBE_PREFIX)) {
    const sentUs = Number(content.split('|')[2]);
    if (Number.isFinite(sentUs)) probeLatency.record(now * 1000 - sentUs);
  }
}

/** One gateway / ws-reference frame. */
function onFrame(index: number, data: Buffer, ready: () => void): void {
  if (startsWith(data, MESSAGE_PREFIX)) {
    const frame = JSON.parse(data.toString()) as { content?: unknown };
    return onMessage(index, frame.content);
  }
  if (startsWith(data, USER_LIST_PREFIX)) {
    const frame = JSON.parse(data.toString()) as { data?: unknown[]; total?: number };
    userList = { names: frame.data?.length ?? 0, total: frame.total, bytes: data.length };
    return ready();
  }
  if (startsWith(data, ERROR_PREFIX)) {
    errorFrames++;
    firstError ??= data.toString().slice(0, 300);
  }
}

function onPing(index: number): void {
  const now = nowMs();
  if (lastPingAt[index] > 0) {
    pingIntervals.record((now - lastPingAt[index]) * 1000);
    gotPingInterval[index] = 1;
  }
  lastPingAt[index] = now;
}

function onClose(index: number, code: number | string): void {
  if (closing) return;
  if (muted.has(index)) return emit({ ev: 'closed', index, at: nowMs(), code: Number(code) || 0 });
  closes[code] = (closes[code] ?? 0) + 1;
}

/** Opens one client as `index`; resolves '' when ready, else why it failed. */
function openWs(index: number, plan: ScaleClientPlan, localAddress: string, cmd: OpenCommand, onBytes: (n: number) => void): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(plan.url, { perMessageDeflate: false, skipUTF8Validation: true, localAddress });
    let settled = false;
    const settle = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(why);
    };
    const timer = setTimeout(() => {
      settle(`not ready within ${OPEN_TIMEOUT_MS}ms`);
      ws.terminate();
    }, OPEN_TIMEOUT_MS);
    held[index] = {
      send: (frame) => ws.send(frame),
      terminate: () => ws.terminate(),
      mute: () => {
        (ws as unknown as { _autoPong: boolean })._autoPong = false;
      },
    };
    ws.on('message', (data: Buffer) =>
      onFrame(index, data, () => {
        if (!settled) onBytes(data.length);
        settle('');
      }),
    );
    ws.on('ping', () => onPing(index));
    ws.once('open', () => cmd.readyOn === 'open' && settle(''));
    failOpeningOn(ws, settle, (code) => onClose(index, code));
  });
}

function openSocketIo(index: number, plan: ScaleClientPlan, localAddress: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = benchSocketIo(plan.url, plan.query, OPEN_TIMEOUT_MS, localAddress);
    let settled = false;
    const settle = (why: string) => {
      if (settled) return;
      settled = true;
      resolve(why);
    };
    held[index] = { send: (frame) => void socket.emit('message', JSON.parse(frame)), terminate: () => void socket.disconnect(), mute: () => undefined };
    socket.on('message', (msg: { content?: unknown } | null) => onMessage(index, msg?.content));
    socket.once('connect', () => settle(''));
    socket.on('connect_error', (err: Error) => settle(`connect_error: ${err.message}`));
    socket.on('disconnect', (reason: string) => {
      settle(`disconnected (${reason}) before ready`);
      onClose(index, reason);
    });
  });
}

/** Opens this command's clients with at most `window` handshakes in flight. */
function open(cmd: OpenCommand): Promise<void> {
  const base = held.length;
  grow(base + cmd.clients.length);
  let next = 0;
  let inflight = 0;
  let connected = 0;
  let failed = 0;
  let firstFailure: string | undefined;
  let userListBytes = 0;
  let lastReadyAt = 0;
  const readyTimes: number[] = [];
  const firstStartAt = nowMs();
  return new Promise((resolve) => {
    const finish = () => {
      emit({ ev: 'opened', connected, failed, firstFailure, firstStartAt, lastReadyAt, userListBytes, readyTimes });
      resolve();
    };
    const launch = () => {
      while (inflight < cmd.window && next < cmd.clients.length) {
        const i = next++;
        inflight++;
        const local = cmd.localAddresses[i % cmd.localAddresses.length];
        const opening =
          cmd.mode === 'socketio'
            ? openSocketIo(base + i, cmd.clients[i], local)
            : openWs(base + i, cmd.clients[i], local, cmd, (n) => (userListBytes += n));
        void opening.then((why) => {
          inflight--;
          if (why === '') {
            connected++;
            ready[base + i] = 1;
            lastReadyAt = nowMs();
            readyTimes.push(lastReadyAt);
          } else {
            failed++;
            firstFailure ??= why;
          }
          if (connected + failed === cmd.clients.length) finish();
          else launch();
        });
      }
    };
    if (cmd.clients.length === 0) finish();
    else launch();
  });
}

async function probe(cmd: ProbeCommand): Promise<void> {
  const padding = 'x'.repeat(cmd.payloadBytes);
  const startAt = nowMs();
  for (let k = 0; k < cmd.messages; k++) {
    const wait = startAt + (k * 1000) / cmd.rate - nowMs();
    if (wait >= 1) await sleep(wait);
    const head = `${PROBE_PREFIX}${k}|${Math.round(nowMs() * 1000)}|`;
    held[cmd.sender].send(JSON.stringify({ type: 'message', room: cmd.room, content: head + padding.slice(head.length) }));
  }
  emit({ ev: 'probed', sent: cmd.messages });
}

function report(): ScaleReport {
  let clientsWithMessage = 0;
  let readyClients = 0;
  let clientsWithPingInterval = 0;
  for (let i = 0; i < held.length; i++) {
    clientsWithMessage += gotMessage[i];
    // A muted client stops answering pings, so the server may rightly stop pinging it.
    if (muted.has(i)) continue;
    readyClients += ready[i];
    clientsWithPingInterval += ready[i] & gotPingInterval[i];
  }
  return {
    clients: held.length,
    clientsWithMessage,
    clientsWithPingInterval,
    clientsWithoutPingInterval: readyClients - clientsWithPingInterval,
    messages,
    userList,
    pingIntervals: pingIntervals.toJSON(),
    probeLatency: probeLatency.toJSON(),
    closes,
    errorFrames,
    firstError,
  };
}

function reset(): void {
  gotMessage.fill(0);
  gotPingInterval.fill(0);
  lastPingAt.fill(0);
  messages = 0;
  userList = undefined;
  pingIntervals = new LatencyHistogram();
  probeLatency = new LatencyHistogram();
}

process.on('message', (msg: ScaleCommand) => {
  const run = async (): Promise<void> => {
    switch (msg.cmd) {
      case 'open':
        return open(msg);
      case 'send':
        held[msg.index].send(msg.frame);
        return emit({ ev: 'sent' });
      case 'reset':
        return reset();
      case 'mute':
        muted.add(msg.index);
        return held[msg.index].mute();
      case 'probe':
        return probe(msg);
      case 'report':
        return emit({ ev: 'report', report: report() });
      case 'close':
        closing = true;
        for (const h of held) h?.terminate();
        setImmediate(() => process.exit(0));
    }
  };
  run().catch((err: Error) => emit({ ev: 'fatal', error: err.stack ?? err.message }));
});

// The orchestrator went away (crash, kill): never outlive it.
process.on('disconnect', () => process.exit(0));
