/**
 * A load-generating process, forked by the orchestrator with an IPC channel. It opens its
 * share of clients, paced in batches — raw `ws` WebSockets, SSE streams (read with node:http,
 * sending by POST), or `socket.io-client` sockets (websocket transport only) — and on command has the room senders it holds send numbered,
 * timestamped messages, paced or as fast as backpressure allows. Every client checks what
 * it receives for loss, duplication, order and room, and records delivery latency.
 *
 * Message content is `${room}|${seq}|${sendTimeMicros}|xxxx…`; `ws` frames are classified by
 * their leading bytes so the hot path never parses JSON (each client's first delivery is
 * parsed in full to check the frame's shape). Socket.IO hands over parsed objects.
 */
import { request } from 'node:http';
import WebSocket from 'ws';
import { startsWith } from './frame-bytes';
import { LatencyHistogram } from './histogram';
import { postFrame, readSseStream, type SseSession } from './sse-stream';
import { failOpeningOn } from './ws-opening';
import { type ClientMode, type ClientPlan, type LoadCommand, type LoadEvent, type LoadReport, nowMs, type RoomPlan } from './load-protocol';
import { sleep } from '@switchboard/testing';
import { benchSocketIo } from './socketio-client';

type ConnectCommand = Extract<LoadCommand, { cmd: 'connect' }>;
type SendCommand = Extract<LoadCommand, { cmd: 'send' }>;

const MESSAGE_PREFIX = Buffer.from('{"type":"message"');
const CONTENT_KEY = Buffer.from('"content":"');
const TYPE_PREFIX = Buffer.from('{"type":"');
const BACKPRESSURE_BYTES = 1 << 20;
const PROGRESS_MS = 250;
const BATCH_TIMEOUT_MS = 30_000;
const PIPE = 0x7c; // '|'
const NO_MESSAGES = new Uint8Array(0);

/** The socket under a client, whichever library drives it. */
interface Wire {
  /** Sends a chat frame; with `id`, a publish id the gateway acks. */
  send(room: string, content: string, id?: string): void;
  /** Bytes written and not yet handed to the kernel (plus, for Socket.IO, packets not yet written). */
  buffered(): number;
  terminate(): void;
}

class Client {
  ready = false;
  /** Set when the orchestrator closes us, so closes before it are reported. */
  closing = false;
  unique = 0;
  duplicated = 0;
  reordered = 0;
  lastSeq = -1;
  checkedShape = false;
  wire!: Wire;
  /** One flag per sequence number of the client's room. */
  readonly seen: Uint8Array;
  readonly room?: RoomPlan;

  constructor(
    readonly name: string,
    readonly roomIndex: number,
    rooms: RoomPlan[],
  ) {
    this.room = rooms[roomIndex];
    this.seen = this.room ? new Uint8Array(this.room.messages) : NO_MESSAGES;
  }
}

let setup: ConnectCommand | undefined;
const clients: Client[] = [];
const latency = new LatencyHistogram();
let deliveries = 0;
let uniqueDeliveries = 0;
let expected = 0;
let unexpected = 0;
let shapeErrors = 0;
let errorFrames = 0;
let acks = 0;
let firstError: string | undefined;
const unexpectedCloses: Record<string, number> = {};
let firstDeliveryAt = 0;
let lastDeliveryAt = 0;
let armed = false;
let armedCpu: NodeJS.CpuUsage | undefined;
let progressTimer: NodeJS.Timeout | undefined;
let completeSent = false;

function emit(event: LoadEvent): void {
  if (process.connected) process.send!(event);
}

/** Handles one text frame from the gateway or the `ws` reference server. */
function onFrame(client: Client, data: Buffer, onReady: () => void): void {
  if (startsWith(data, MESSAGE_PREFIX)) return onWsMessage(client, data);
  const type = frameType(data);
  if (type === 'user_list') {
    if (!client.ready) onReady();
  } else if (type === 'ack') {
    acks++;
  } else if (type === 'error') {
    errorFrames++;
    firstError ??= data.toString().slice(0, 300);
  }
}

/** A `message` frame as raw JSON bytes: content = room|seq|sentMicros|padding, read in place. */
function onWsMessage(client: Client, data: Buffer): void {
  const now = nowMs();
  const at = data.indexOf(CONTENT_KEY);
  if (at < 0) {
    shapeErrors++;
    return;
  }
  let i = at + CONTENT_KEY.length;
  let room = 0;
  while (data[i] !== PIPE && i < data.length) room = room * 10 + (data[i++] - 48);
  i++;
  let seq = 0;
  while (data[i] !== PIPE && i < data.length) seq = seq * 10 + (data[i++] - 48);
  i++;
  let sentUs = 0;
  while (data[i] !== PIPE && i < data.length) sentUs = sentUs * 10 + (data[i++] - 48);
  if (!client.checkedShape) {
    client.checkedShape = true;
    if (!validShape(client, parse(data))) shapeErrors++;
  }
  record(client, now, room, seq, sentUs);
}

/** A Socket.IO `message` event, already parsed by the client library. */
function onSocketIoMessage(client: Client, msg: unknown): void {
  const now = nowMs();
  const content = (msg as { content?: unknown } | null)?.content;
  if (typeof content !== 'string') {
    shapeErrors++;
    return;
  }
  const a = content.indexOf('|');
  const b = content.indexOf('|', a + 1);
  const c = content.indexOf('|', b + 1);
  if (!client.checkedShape) {
    client.checkedShape = true;
    if (!validShape(client, msg)) shapeErrors++;
  }
  record(client, now, Number(content.slice(0, a)), Number(content.slice(a + 1, b)), Number(content.slice(b + 1, c)));
}

function record(client: Client, now: number, room: number, seq: number, sentUs: number): void {
  deliveries++;
  if (firstDeliveryAt === 0) firstDeliveryAt = now;
  lastDeliveryAt = now;
  latency.record(now * 1000 - sentUs);
  if (room !== client.roomIndex || seq >= client.seen.length) {
    // Another room's message, or past this room's last: misrouted, counted with the shape errors.
    unexpected++;
    return;
  }
  if (client.seen[seq] === 1) {
    client.duplicated++;
  } else {
    client.seen[seq] = 1;
    client.unique++;
    uniqueDeliveries++;
  }
  if (seq < client.lastSeq) client.reordered++;
  client.lastSeq = seq;
  if (!completeSent && armed && uniqueDeliveries >= expected) {
    completeSent = true;
    emit({ ev: 'complete', deliveries, lastDeliveryAt });
  }
}

function parse(data: Buffer): unknown {
  try {
    return JSON.parse(data.toString());
  } catch {
    return undefined;
  }
}

function validShape(client: Client, frame: unknown): boolean {
  if (typeof frame !== 'object' || frame === null) return false;
  const f = frame as Record<string, unknown>;
  return (
    (setup!.mode === 'socketio' || f.type === 'message') &&
    f.room === client.room?.name &&
    typeof f.content === 'string' &&
    f.user_id === client.room?.sender &&
    typeof f.username === 'string' &&
    typeof f.timestamp === 'number'
  );
}

function frameType(data: Buffer): string | undefined {
  if (startsWith(data, TYPE_PREFIX)) {
    const end = data.indexOf(0x22, TYPE_PREFIX.length);
    return end > 0 ? data.toString('latin1', TYPE_PREFIX.length, end) : undefined;
  }
  const f = parse(data) as { type?: unknown } | undefined;
  return typeof f?.type === 'string' ? f.type : undefined;
}

/** Settles a client's opening once: true when ready, else why it failed. */
function opener(client: Client, resolve: (r: string | true) => void, terminate: () => void) {
  let settled = false;
  const timer = setTimeout(() => {
    settle(`not ready within ${BATCH_TIMEOUT_MS}ms`);
    terminate();
  }, BATCH_TIMEOUT_MS);
  function settle(result: string | true): void {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    if (result === true) {
      client.ready = true;
      clients.push(client);
    }
    resolve(result);
  }
  return settle;
}

function closedEarly(client: Client, why: string | number): void {
  if (client.ready && !client.closing) unexpectedCloses[why] = (unexpectedCloses[why] ?? 0) + 1;
}

/** Opens one raw WebSocket client; resolves true when it is ready, else why it failed. */
function openWs(plan: ClientPlan, cmd: ConnectCommand): Promise<string | true> {
  return new Promise((resolve) => {
    const ws = new WebSocket(plan.url, { perMessageDeflate: false, skipUTF8Validation: true });
    const client = new Client(plan.name, plan.room, cmd.rooms);
    client.wire = {
      send: (room, content, id) => ws.send(JSON.stringify(id === undefined ? { type: 'message', room, content } : { type: 'message', room, content, id })),
      buffered: () => ws.bufferedAmount,
      terminate: () => ws.terminate(),
    };
    const settle = opener(client, resolve, () => ws.terminate());
    ws.on('message', (data: Buffer) => onFrame(client, data, () => settle(true)));
    ws.once('open', () => {
      if (cmd.readyOn === 'open') settle(true);
    });
    failOpeningOn(ws, settle, (code) => closedEarly(client, code));
  });
}

/** Opens one Socket.IO client (websocket transport, its own connection, no reconnection). */
function openSocketIo(plan: ClientPlan, cmd: ConnectCommand): Promise<string | true> {
  return new Promise((resolve) => {
    const socket = benchSocketIo(plan.url, plan.query, BATCH_TIMEOUT_MS);
    const client = new Client(plan.name, plan.room, cmd.rooms);
    client.wire = {
      send: (room, content) => void socket.emit('message', { room, content }),
      buffered: () => {
        const engine = socket.io.engine as unknown as { writeBuffer?: unknown[]; transport?: { ws?: { bufferedAmount?: number } } };
        // Packets engine.io has not written yet count as a full buffer's worth: wait for them.
        return (engine?.transport?.ws?.bufferedAmount ?? 0) + (engine?.writeBuffer?.length ?? 0) * 1024;
      },
      terminate: () => void socket.disconnect(),
    };
    const settle = opener(client, resolve, () => socket.disconnect());
    socket.on('message', (msg: unknown) => onSocketIoMessage(client, msg));
    socket.once('connect', () => settle(true));
    socket.on('connect_error', (err: Error) => settle(`connect_error: ${err.message}`));
    socket.on('disconnect', (reason: string) => {
      settle(`disconnected (${reason}) before ready`);
      closedEarly(client, reason);
    });
  });
}

/**
 * Opens one SSE client: reads the stream's events (each unnamed event's data is a frame, fed to
 * the same frame handling as a WebSocket's), sends by POST to its session. Resolves as openWs.
 */
function openSse(plan: ClientPlan, cmd: ConnectCommand): Promise<string | true> {
  return new Promise((resolve) => {
    const client = new Client(plan.name, plan.room, cmd.rooms);
    const url = new URL(plan.url);
    let session: SseSession | undefined;
    let inFlight = 0;
    const req = request(url, { agent: false, headers: { Accept: 'text/event-stream' } });
    client.wire = {
      send: (room, content) => {
        if (!session) return;
        inFlight++;
        postFrame(url.origin, session, { type: 'message', room, content }, (status) => {
          inFlight--;
          if (status === 202) return;
          errorFrames++;
          firstError ??= `uplink answered ${status}`;
        });
      },
      buffered: () => inFlight * 1024,
      terminate: () => req.destroy(),
    };
    const settle = opener(client, resolve, () => req.destroy());
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        settle(`HTTP ${res.statusCode}`);
        return void res.resume();
      }
      readSseStream(res, (s) => (session = s), (data) => onFrame(client, data, () => settle(true)));
      res.on('close', () => {
        settle('stream ended before ready');
        closedEarly(client, 'sse stream ended');
      });
    });
    req.on('error', (err) => settle(err.message));
    req.end();
  });
}

function open(plan: ClientPlan, cmd: ConnectCommand, mode: ClientMode): Promise<string | true> {
  if (mode === 'socketio') return openSocketIo(plan, cmd);
  return plan.sse ? openSse(plan, cmd) : openWs(plan, cmd);
}

async function connect(cmd: ConnectCommand): Promise<void> {
  setup = cmd;
  const started = Date.now();
  let failed = 0;
  let firstFailure: string | undefined;
  for (let i = 0; i < cmd.clients.length; i += cmd.batch) {
    const results = await Promise.all(cmd.clients.slice(i, i + cmd.batch).map((c) => open(c, cmd, cmd.mode)));
    for (const r of results) {
      if (r === true) continue;
      failed++;
      firstFailure ??= r;
    }
  }
  const order = new Map(cmd.clients.map((c, i) => [c.name, i]));
  clients.sort((a, b) => order.get(a.name)! - order.get(b.name)!);
  expected = clients.reduce((s, c) => s + c.seen.length, 0);
  emit({ ev: 'ready', connected: clients.length, failed, firstFailure, ms: Date.now() - started });
}

let maxLoopLagMs = 0;

function arm(): void {
  armed = true;
  armedCpu = process.cpuUsage();
  let tick = nowMs();
  progressTimer = setInterval(() => {
    const now = nowMs();
    maxLoopLagMs = Math.max(maxLoopLagMs, now - tick - PROGRESS_MS);
    tick = now;
    emit({ ev: 'progress', deliveries, lastDeliveryAt });
  }, PROGRESS_MS);
  if (uniqueDeliveries >= expected) {
    completeSent = true;
    emit({ ev: 'complete', deliveries, lastDeliveryAt });
  }
}

/** Sends the messages whose room's sender is one of this process's clients. */
async function send({ total, payloadBytes, rate, startAt, ids }: SendCommand): Promise<void> {
  const rooms = setup!.rooms;
  const byName = new Map(clients.map((c) => [c.name, c]));
  const senders = rooms.map((r) => byName.get(r.sender));
  const padding = 'x'.repeat(payloadBytes);
  let backpressureWaits = 0;
  let behindMs = 0;
  let sent = 0;
  let firstSendAt = 0;
  let lastSendAt = 0;
  if (rate > 0 && startAt > nowMs()) await sleep(startAt - nowMs());
  for (let k = 0; k < total; k++) {
    const roomIndex = k % rooms.length;
    const sender = senders[roomIndex];
    if (!sender) continue;
    if (rate > 0) {
      const due = startAt + (k * 1000) / rate;
      const wait = due - nowMs();
      if (wait >= 1) await sleep(wait);
      else behindMs = Math.max(behindMs, -wait);
    }
    while (sender.wire.buffered() > BACKPRESSURE_BYTES) {
      backpressureWaits++;
      await sleep(1);
    }
    lastSendAt = nowMs();
    if (sent++ === 0) firstSendAt = lastSendAt;
    const seq = Math.floor(k / rooms.length);
    const head = `${roomIndex}|${seq}|${Math.round(lastSendAt * 1000)}|`;
    sender.wire.send(rooms[roomIndex].name, head + padding.slice(0, Math.max(0, payloadBytes - head.length)), ids ? `${roomIndex}-${seq}` : undefined);
  }
  emit({ ev: 'sent', sent, firstSendAt, lastSendAt, backpressureWaits, behindMs });
}

function report(): LoadReport {
  clearInterval(progressTimer);
  const cpu = process.cpuUsage(armedCpu);
  let lost = 0;
  let duplicated = 0;
  let reordered = 0;
  let lossyClients = 0;
  let firstLoss: string | undefined;
  for (const c of clients) {
    const missed = c.seen.length - c.unique;
    lost += missed;
    duplicated += c.duplicated;
    reordered += c.reordered;
    if (missed > 0) {
      lossyClients++;
      firstLoss ??= `${c.name} (room ${c.room?.name}) missed ${missed} of ${c.seen.length}, first seq ${c.seen.indexOf(0)}, last received seq ${c.lastSeq}`;
    }
  }
  return {
    clients: clients.length,
    deliveries,
    expected,
    lost,
    duplicated,
    reordered,
    lossyClients,
    firstLoss,
    shapeErrors: shapeErrors + unexpected,
    acks,
    errorFrames,
    firstError,
    unexpectedCloses,
    firstDeliveryAt,
    lastDeliveryAt,
    latency: latency.toJSON(),
    cpuMicros: armedCpu ? cpu.user + cpu.system : 0,
    maxLoopLagMs,
  };
}

function closeAll(): void {
  clearInterval(progressTimer);
  for (const c of clients) {
    c.closing = true;
    c.wire.terminate();
  }
  setImmediate(() => process.exit(0));
}

process.on('message', (msg: LoadCommand) => {
  const run = async () => {
    switch (msg.cmd) {
      case 'connect':
        return connect(msg);
      case 'arm':
        return arm();
      case 'send':
        return send(msg);
      case 'report':
        return emit({ ev: 'report', report: report() });
      case 'close':
        return closeAll();
    }
  };
  run().catch((err: Error) => emit({ ev: 'fatal', error: err.stack ?? err.message }));
});

// The orchestrator went away (crash, kill): never outlive it.
process.on('disconnect', () => process.exit(0));
