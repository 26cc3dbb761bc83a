/**
 * A load-generating process, forked by the orchestrator with an IPC channel. It opens its
 * share of WebSocket clients, paced in batches, and on command has its first client send
 * numbered, timestamped messages as fast as backpressure allows. Every client checks what
 * it receives for loss, duplication and order, and records delivery latency.
 *
 * Message content is `${seq}|${sendTimeMicros}|xxxx…`; frames are classified by their
 * leading bytes so the hot path never parses JSON (each client's first delivery is parsed
 * in full to check the frame's shape).
 */
import WebSocket from 'ws';
import { LatencyHistogram } from './histogram';
import { type LoadCommand, type LoadEvent, type LoadReport, nowMs } from './load-protocol';

type ConnectCommand = Extract<LoadCommand, { cmd: 'connect' }>;

const MESSAGE_PREFIX = Buffer.from('{"type":"message"');
const CONTENT_KEY = Buffer.from('"content":"');
const TYPE_PREFIX = Buffer.from('{"type":"');
const BACKPRESSURE_BYTES = 1 << 20;
const PROGRESS_MS = 250;
const BATCH_TIMEOUT_MS = 30_000;
const PIPE = 0x7c; // '|'

class Client {
  ready = false;
  /** Set when the orchestrator closes us, so closes before it are reported. */
  closing = false;
  unique = 0;
  duplicated = 0;
  reordered = 0;
  lastSeq = -1;
  checkedShape = false;
  readonly seen: Uint8Array;

  constructor(
    readonly name: string,
    readonly ws: WebSocket,
    messages: number,
  ) {
    this.seen = new Uint8Array(messages);
  }
}

let setup: ConnectCommand | undefined;
const clients: Client[] = [];
const latency = new LatencyHistogram();
let deliveries = 0;
let expected = 0;
let unexpected = 0;
let shapeErrors = 0;
let errorFrames = 0;
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

/** Handles one text frame from the server. */
function onFrame(client: Client, data: Buffer, onReady: () => void): void {
  if (startsWith(data, MESSAGE_PREFIX)) return onMessage(client, data);
  const type = frameType(data);
  if (type === 'user_list') {
    if (!client.ready) onReady();
  } else if (type === 'error') {
    errorFrames++;
    firstError ??= data.toString().slice(0, 300);
  }
}

function onMessage(client: Client, data: Buffer): void {
  const now = nowMs();
  const at = data.indexOf(CONTENT_KEY);
  if (at < 0) {
    shapeErrors++;
    return;
  }
  // content = seq|sentMicros|padding
  let i = at + CONTENT_KEY.length;
  let seq = 0;
  while (data[i] !== PIPE && i < data.length) seq = seq * 10 + (data[i++] - 48);
  i++;
  let sentUs = 0;
  while (data[i] !== PIPE && i < data.length) sentUs = sentUs * 10 + (data[i++] - 48);

  deliveries++;
  if (firstDeliveryAt === 0) firstDeliveryAt = now;
  lastDeliveryAt = now;
  latency.record(now * 1000 - sentUs);
  if (!client.checkedShape) {
    client.checkedShape = true;
    if (!validShape(data)) shapeErrors++;
  }
  if (seq >= client.seen.length) {
    unexpected++;
  } else if (client.seen[seq] === 1) {
    client.duplicated++;
  } else {
    client.seen[seq] = 1;
    client.unique++;
  }
  if (seq < client.lastSeq) client.reordered++;
  client.lastSeq = seq;
  if (!completeSent && armed && deliveries >= expected) {
    completeSent = true;
    emit({ ev: 'complete', deliveries, lastDeliveryAt });
  }
}

function validShape(data: Buffer): boolean {
  try {
    const f = JSON.parse(data.toString()) as Record<string, unknown>;
    return (
      f.type === 'message' &&
      f.room === setup!.room &&
      typeof f.content === 'string' &&
      f.user_id === setup!.sender &&
      typeof f.username === 'string' &&
      typeof f.timestamp === 'number'
    );
  } catch {
    return false;
  }
}

function startsWith(data: Buffer, prefix: Buffer): boolean {
  return data.length >= prefix.length && data.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
}

function frameType(data: Buffer): string | undefined {
  if (startsWith(data, TYPE_PREFIX)) {
    const end = data.indexOf(0x22, TYPE_PREFIX.length);
    return end > 0 ? data.toString('latin1', TYPE_PREFIX.length, end) : undefined;
  }
  try {
    const f = JSON.parse(data.toString()) as { type?: unknown };
    return typeof f.type === 'string' ? f.type : undefined;
  } catch {
    return undefined;
  }
}

/** Opens one client; resolves true when it is ready, false (with a reason) when it fails. */
function open(name: string, url: string, cmd: ConnectCommand): Promise<string | true> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true });
    const client = new Client(name, ws, cmd.messages);
    let settled = false;
    const settle = (result: string | true) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (result === true) {
        client.ready = true;
        clients.push(client);
      }
      resolve(result);
    };
    const timer = setTimeout(() => {
      settle(`not ready within ${BATCH_TIMEOUT_MS}ms`);
      ws.terminate();
    }, BATCH_TIMEOUT_MS);
    ws.on('message', (data: Buffer) => onFrame(client, data, () => settle(true)));
    ws.once('open', () => {
      if (cmd.readyOn === 'open') settle(true);
    });
    ws.once('unexpected-response', (_req, res) => {
      settle(`HTTP ${res.statusCode}`);
      ws.terminate();
    });
    ws.on('error', (err) => settle(err.message));
    ws.once('close', (code) => {
      settle(`closed ${code} before ready`);
      if (client.ready && !client.closing) unexpectedCloses[code] = (unexpectedCloses[code] ?? 0) + 1;
    });
  });
}

async function connect(cmd: ConnectCommand): Promise<void> {
  setup = cmd;
  const started = Date.now();
  let failed = 0;
  let firstFailure: string | undefined;
  for (let i = 0; i < cmd.clients.length; i += cmd.batch) {
    const results = await Promise.all(cmd.clients.slice(i, i + cmd.batch).map((c) => open(c.name, c.url, cmd)));
    for (const r of results) {
      if (r === true) continue;
      failed++;
      firstFailure ??= r;
    }
  }
  // The sender is the first name; keep it first whatever order the opens finished in.
  const order = new Map(cmd.clients.map((c, i) => [c.name, i]));
  clients.sort((a, b) => order.get(a.name)! - order.get(b.name)!);
  expected = clients.length * cmd.messages;
  emit({ ev: 'ready', connected: clients.length, failed, firstFailure, ms: Date.now() - started });
}

function arm(): void {
  armed = true;
  armedCpu = process.cpuUsage();
  progressTimer = setInterval(() => emit({ ev: 'progress', deliveries, lastDeliveryAt }), PROGRESS_MS);
  if (expected === 0 || deliveries >= expected) {
    completeSent = true;
    emit({ ev: 'complete', deliveries, lastDeliveryAt });
  }
}

async function send(messages: number, payloadBytes: number, rate: number): Promise<void> {
  const sender = clients[0];
  if (!sender || sender.name !== setup!.sender) throw new Error(`sender ${setup!.sender} is not connected in this process`);
  const { ws } = sender;
  const room = setup!.room;
  const padding = 'x'.repeat(payloadBytes);
  let backpressureWaits = 0;
  const firstSendAt = nowMs();
  let lastSendAt = firstSendAt;
  for (let seq = 0; seq < messages; seq++) {
    if (rate > 0) {
      const wait = firstSendAt + (seq * 1000) / rate - nowMs();
      if (wait >= 1) await new Promise((r) => setTimeout(r, wait));
    }
    while (ws.bufferedAmount > BACKPRESSURE_BYTES) {
      backpressureWaits++;
      await new Promise((r) => setTimeout(r, 1));
    }
    lastSendAt = nowMs();
    const head = `${seq}|${Math.round(lastSendAt * 1000)}|`;
    const content = head + padding.slice(0, Math.max(0, payloadBytes - head.length));
    ws.send(JSON.stringify({ type: 'message', room, content }));
  }
  emit({ ev: 'sent', firstSendAt, lastSendAt, backpressureWaits });
}

function report(): LoadReport {
  clearInterval(progressTimer);
  const cpu = process.cpuUsage(armedCpu);
  let lost = 0;
  let duplicated = 0;
  let reordered = 0;
  for (const c of clients) {
    lost += c.seen.length - c.unique;
    duplicated += c.duplicated;
    reordered += c.reordered;
  }
  return {
    clients: clients.length,
    deliveries,
    expected,
    lost,
    duplicated,
    reordered,
    shapeErrors: shapeErrors + unexpected,
    errorFrames,
    firstError,
    unexpectedCloses,
    firstDeliveryAt,
    lastDeliveryAt,
    latency: latency.toJSON(),
    cpuMicros: armedCpu ? cpu.user + cpu.system : 0,
  };
}

function closeAll(): void {
  clearInterval(progressTimer);
  for (const c of clients) {
    c.closing = true;
    c.ws.terminate();
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
        return send(msg.messages, msg.payloadBytes, msg.rate);
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
