import { join } from 'node:path';
import { LoadPool, type PoolReport } from './load-pool';
import type { ClientMode, DeliveryTally, RoomPlan } from './load-protocol';
import type { BenchOptions } from './options';
import { cpuMicros, cpuSplitMicros, hwmBytes, machineBusyMicros, RssSampler, rssBytes, settledRss, waitForQuiet, writeSyscalls } from './proc-stats';
import { type Cluster, gatewayNodeOptions, scrapeMetrics, seriesValue, type ServerUnderTest, startCluster, startServer, type Target } from './servers';

const FANOUT_ROOM = 'bench';
/** After the last expected delivery, how long late copies (duplicates) may still arrive and be counted. */
const SETTLE_MS = 300;
/** Replicas in the cluster scenarios. */
export const REPLICAS = 2;

/** The scenarios that send messages and count deliveries. */
export type RunScenario = 'fanout' | 'fanout-2r' | 'fanout-2r-nohistory' | 'rooms-2r' | 'sse-2r' | 'acks-2r';

export interface RunResult extends DeliveryTally {
  scenario: RunScenario;
  target: Target;
  /** The gateway's WEBSOCKET_WRITE_DELAY in ms, when the run set it (rooms-2r). */
  writeDelayMs?: number;
  /** sse-2r: how the receivers were connected (the sender is a WebSocket client either way). */
  receivers?: 'websocket' | 'sse';
  /** acks-2r: whether every chat frame carried a publish `id` (acked, deduplicated). */
  ids?: boolean;
  /** `ack` frames the senders received. */
  acks: number;
  /** Server processes (1: BUS=memory gateway or the ws reference; 2: on one Redis). */
  replicas: number;
  clients: number;
  rooms: number;
  /** Messages sent in all (spread round-robin over the rooms). */
  messages: number;
  payloadBytes: number;
  /** Messages per second the senders aimed at, all together (0: as fast as possible). */
  rate: number;
  connectMs: number;
  complete: boolean;
  incompleteReason?: string;
  deliveries: number;
  expected: number;
  /** First send to last delivery. */
  durationMs: number;
  /** First send to last send. */
  sendMs: number;
  /** Messages the senders handed to their sockets, and the worst lag behind a paced schedule. */
  sent: number;
  behindMs: number;
  deliveriesPerSec: number;
  /** CPU of every replica together over the run, and per replica. */
  serverCpuMicros: number;
  replicaCpuMicros: number[];
  cpuPerDeliveryMicros: number;
  /** The part of the servers' CPU spent in the kernel (writes to loopback sockets do the receiver's TCP work too). */
  serverSystemMicros: number;
  /** Write syscalls of every replica together over the run (each one hands one socket a chunk of frames). */
  serverWriteSyscalls: number;
  /** Redis' CPU over the run (cluster scenarios only). */
  redisCpuMicros?: number;
  redisCpuPerDeliveryMicros?: number;
  /** Highest sampled RSS from server start to the end of the run (the largest replica); VmHWM as the kernel reports it. */
  peakRssBytes: number;
  replicaPeakRssBytes: number[];
  hwmBytes: number;
  rssBeforeSendBytes: number;
  latencyMs: { p50: number; p99: number; max: number; mean: number };
  clientCpuMicros: number[];
  /** The longest a client process's event loop was blocked during the run (ms). */
  clientMaxLoopLagMs: number;
  /** Cores the whole machine kept busy during the run, and how many of them went to processes the bench did not start. */
  machineBusyCores: number;
  otherProcessesCores: number;
  /**
   * Switchboard only, from its replicas' /metrics over the same window: V8's collections
   * (scavenges and mark-compacts, count and pause time, every replica together) and the
   * longest event-loop delay of any replica (prom-client's monitor, 20 ms resolution).
   */
  gatewayGc?: GatewayGc;
  /** The servers' CPU profiles of the run, when profiled (one per replica). */
  profileFiles?: string[];
  serverLogTail: string[];
}

/** The single-node fan-out's result (kept for readers of earlier results). */
export type FanOutResult = RunResult;

export interface IdleResult {
  scenario: 'idle' | 'idle-room';
  target: Target;
  clients: number;
  /** Members per room (idle-room), else undefined. */
  roomSize?: number;
  connected: number;
  failed: number;
  firstFailure?: string;
  connectMs: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  rssPerConnectionKB: number;
}

/** Profile the servers' CPU over the measured window, into this directory. */
export interface ProfileOptions {
  dir: string;
}

/** What one run sends, and where its clients go. */
interface RunShape {
  scenario: RunScenario;
  replicas: number;
  clients: number;
  /** Room names; client i is in room i mod rooms. */
  rooms: string[];
  messages: number;
  rate: number;
  /** Extra gateway environment. */
  env?: Record<string, string>;
  /** sse-2r: every client but the senders reads an SSE stream (false: a WebSocket, for the same run's comparison). */
  sseReceivers?: boolean;
  /** acks-2r: every chat frame carries a publish `id` (false: none, for the same run's comparison). */
  ids?: boolean;
}

/** fanout: clients in one room on one server; one sends as fast as it may. */
export function fanOutShape(o: BenchOptions): RunShape {
  return { scenario: 'fanout', replicas: 1, clients: o.clients, rooms: [FANOUT_ROOM], messages: o.messages, rate: o.rate };
}

/** fanout-2r: the same room spread evenly over two replicas; the sender is on the first. Without history: fanout-2r-nohistory. */
export function clusterFanOutShape(o: BenchOptions, history = true): RunShape {
  const shape = { replicas: REPLICAS, clients: o.clients, rooms: [FANOUT_ROOM], messages: o.messages, rate: o.rate };
  return history ? { scenario: 'fanout-2r', ...shape } : { scenario: 'fanout-2r-nohistory', ...shape, env: { WEBSOCKET_HISTORY_SIZE: '0' } };
}

/** sse-2r: fanout-2r's room, its receivers on SSE streams (`sse`) or WebSockets; the sender is a WebSocket client either way. */
export function sseFanOutShape(o: BenchOptions, sse: boolean): RunShape {
  return { scenario: 'sse-2r', replicas: REPLICAS, clients: o.clients, rooms: [FANOUT_ROOM], messages: o.messages, rate: o.rate, sseReceivers: sse };
}

/**
 * acks-2r: rooms of two (the sender on one replica, a receiver on the other), messages
 * round-robin over them at rooms-2r's rate, with a publish `id` on every frame (`ids`) or none:
 * what acknowledged, deduplicated publishing costs per published message.
 */
export function acksShape(o: BenchOptions, ids: boolean): RunShape {
  const rooms = Array.from({ length: o.rooms }, (_, r) => `${FANOUT_ROOM}-a${r}`);
  const messages = Math.max(1, Math.round((o.roomsRate * o.roomsSeconds) / o.rooms)) * o.rooms;
  return { scenario: 'acks-2r', replicas: REPLICAS, clients: o.rooms * REPLICAS, rooms, messages, rate: o.roomsRate, ids };
}

/** rooms-2r: many rooms, each spread evenly over two replicas, messages round-robin over them at a total rate. */
export function clusterRoomsShape(o: BenchOptions): RunShape {
  const rooms = Array.from({ length: o.rooms }, (_, r) => `${FANOUT_ROOM}-r${r}`);
  // Whole rounds over the rooms, so every room gets the same number of messages.
  const messages = Math.max(1, Math.round((o.roomsRate * o.roomsSeconds) / o.rooms)) * o.rooms;
  return { scenario: 'rooms-2r', replicas: REPLICAS, clients: o.roomsClients, rooms, messages, rate: o.roomsRate };
}

/**
 * Client i is in room i mod R and on replica ⌊i / R⌋ mod replicas, so each room's members
 * alternate between replicas. Room r's sender is its member on replica r mod replicas
 * (client r + (r mod replicas)·R): senders are spread over the replicas, and with one room
 * the sender is client 0, on the first replica.
 */
function layout(shape: RunShape) {
  const R = shape.rooms.length;
  const perRoom = Math.floor(shape.clients / R);
  if (perRoom < shape.replicas) throw new Error(`${shape.scenario}: ${shape.clients} clients cannot put ${shape.replicas} in each of ${R} rooms`);
  const senderIndex = (r: number) => r + (r % shape.replicas) * R;
  const rooms: RoomPlan[] = shape.rooms.map((name, r) => ({
    name,
    sender: LoadPool.clientName(senderIndex(r)),
    messages: Math.floor(shape.messages / R) + (r < shape.messages % R ? 1 : 0),
  }));
  const members = (r: number) => Math.floor(shape.clients / R) + (r < shape.clients % R ? 1 : 0);
  return {
    rooms,
    roomOf: (i: number) => i % R,
    replicaOf: (i: number) => Math.floor(i / R) % shape.replicas,
    expected: rooms.reduce((s, room, r) => s + room.messages * members(r), 0),
  };
}

/** The servers of a run: one process, or a cluster of replicas on a Redis. */
interface Deployment {
  servers: ServerUnderTest[];
  cluster?: Cluster;
  stop(): Promise<void>;
}

async function deploy(target: Target, replicas: number, env: Record<string, string>): Promise<Deployment> {
  if (replicas === 1) {
    const server = await startServer(target, env);
    return { servers: [server], stop: () => server.stop() };
  }
  const cluster = await startCluster(target, replicas, () => env);
  return { servers: cluster.replicas, cluster, stop: () => cluster.stop() };
}

function clientMode(target: Target): ClientMode {
  return target === 'socketio' ? 'socketio' : 'ws';
}

/**
 * Connects the clients as the shape places them, has the senders send, and counts what
 * every client receives. Server CPU is read from /proc over first send → last delivery.
 */
export async function measureRun(
  target: Target,
  shape: RunShape,
  o: BenchOptions,
  capMs: number,
  profile?: ProfileOptions,
  writeDelayMs?: number,
): Promise<RunResult> {
  const plan = layout(shape);
  // The plain `ws` reference has no cluster: it holds every client itself (the floor of a fan-out).
  const replicas = target === 'ws-reference' ? 1 : shape.replicas;
  // WEBSOCKET_WRITE_DELAY for the gateway (rooms-2r runs it at each --write-delay).
  const delayEnv: Record<string, string> = writeDelayMs === undefined || target !== 'switchboard' ? {} : { WEBSOCKET_WRITE_DELAY: `${writeDelayMs}ms` };
  const deployment = await deploy(target, replicas, { ...delayEnv, ...(profile && target === 'switchboard' ? profilerEnv(profile.dir) : {}), ...shape.env });
  const { servers, cluster } = deployment;
  const samplers = servers.map((s) => new RssSampler(s.pid));
  const pool = new LoadPool(o.clientProcesses);
  try {
    const place = (name: string, index: number) => {
      const room = plan.roomOf(index);
      const server = servers[plan.replicaOf(index) % servers.length];
      const roomName = plan.rooms[room].name;
      if (target === 'socketio') return { url: `http://127.0.0.1:${server.port}`, room, query: { room: roomName, user_id: name } };
      if (target === 'ws-reference') return { url: `ws://127.0.0.1:${server.port}/?user_id=${name}&room=${roomName}`, room };
      if (shape.sseReceivers && plan.rooms[room].sender !== name) return { url: `http://127.0.0.1:${server.port}/sse/ws/${roomName}?user_id=${name}`, room, sse: true };
      return { url: `ws://127.0.0.1:${server.port}/ws/${roomName}?user_id=${name}`, room };
    };
    const conn = await pool.connect({
      mode: clientMode(target),
      clients: shape.clients,
      place,
      rooms: plan.rooms,
      batch: o.connectBatch,
      readyOn: target === 'switchboard' ? 'user_list' : target === 'socketio' ? 'connect' : 'open',
      timeoutMs: 120_000,
    });
    if (conn.failed > 0) throw new Error(`${target}: ${conn.failed} of ${shape.clients} clients failed to connect (first: ${conn.firstFailure})`);
    // Let the joins' own traffic (join frames, user lists, presence) finish before measuring.
    const pids = servers.map((s) => s.pid);
    await Promise.all([...pids, ...(cluster ? [cluster.redis.pid] : [])].map((pid) => waitForQuiet(pid)));
    const rssBeforeSendBytes = Math.max(...pids.map(rssBytes));
    if (profile && target === 'switchboard') await Promise.all(servers.map((s) => toggleProfiler(s, 'started')));
    const gcBefore = target === 'switchboard' ? await Promise.all(servers.map(gcCounters)) : undefined;
    const cpuBefore = pids.map(cpuMicros);
    const systemBefore = pids.map((pid) => cpuSplitMicros(pid).system);
    const writesBefore = pids.map(writeSyscalls);
    const redisBefore = cluster ? cpuMicros(cluster.redis.pid) : 0;
    const machineBefore = machineBusyMicros();
    const selfBefore = process.cpuUsage();
    const wallBefore = Date.now();
    const outcome = await pool.run(shape.messages, o.payloadBytes, shape.rate, o.stallSeconds * 1000, capMs, shape.ids);
    const replicaCpuMicros = pids.map((pid, i) => cpuMicros(pid) - cpuBefore[i]);
    const serverSystemMicros = pids.reduce((s, pid, i) => s + cpuSplitMicros(pid).system - systemBefore[i], 0);
    const serverWriteSyscalls = pids.reduce((s, pid, i) => s + writeSyscalls(pid) - writesBefore[i], 0);
    const redisCpuMicros = cluster ? cpuMicros(cluster.redis.pid) - redisBefore : undefined;
    const machineMicros = machineBusyMicros() - machineBefore;
    const self = process.cpuUsage(selfBefore);
    const wallMicros = (Date.now() - wallBefore) * 1000;
    const gatewayGc = gcBefore && gcWindow(gcBefore, await Promise.all(servers.map(gcCounters)));
    const profileFiles = profile && target === 'switchboard' ? await Promise.all(servers.map((s) => toggleProfiler(s, 'written'))) : undefined;
    if (outcome.complete) await new Promise((r) => setTimeout(r, SETTLE_MS));
    const report = await pool.report();
    const replicaPeakRssBytes = samplers.map((s) => s.stop());
    const durationMs = report.lastDeliveryAt - outcome.firstSendAt;
    const serverCpuMicros = replicaCpuMicros.reduce((a, b) => a + b, 0);
    const ours = serverCpuMicros + (redisCpuMicros ?? 0) + report.cpuMicros + self.user + self.system;
    return {
      scenario: shape.scenario,
      target,
      writeDelayMs: delayEnv.WEBSOCKET_WRITE_DELAY === undefined ? undefined : writeDelayMs,
      receivers: shape.sseReceivers === undefined ? undefined : shape.sseReceivers ? 'sse' : 'websocket',
      ids: shape.ids,
      acks: report.acks,
      replicas,
      clients: shape.clients,
      rooms: shape.rooms.length,
      messages: shape.messages,
      payloadBytes: o.payloadBytes,
      rate: shape.rate,
      connectMs: conn.ms,
      complete: outcome.complete,
      incompleteReason: outcome.reason,
      deliveries: report.deliveries,
      expected: plan.expected,
      durationMs,
      sendMs: outcome.lastSendAt - outcome.firstSendAt,
      sent: outcome.sent,
      behindMs: outcome.behindMs,
      deliveriesPerSec: report.deliveries / (durationMs / 1000),
      serverCpuMicros,
      replicaCpuMicros,
      cpuPerDeliveryMicros: serverCpuMicros / report.deliveries,
      serverSystemMicros,
      serverWriteSyscalls,
      redisCpuMicros,
      redisCpuPerDeliveryMicros: redisCpuMicros === undefined ? undefined : redisCpuMicros / report.deliveries,
      peakRssBytes: Math.max(...replicaPeakRssBytes),
      replicaPeakRssBytes,
      hwmBytes: Math.max(...pids.map(hwmBytes)),
      rssBeforeSendBytes,
      lost: report.lost,
      duplicated: report.duplicated,
      reordered: report.reordered,
      lossyClients: report.lossyClients,
      firstLoss: report.firstLoss,
      shapeErrors: report.shapeErrors,
      errorFrames: report.errorFrames,
      firstError: report.firstError,
      unexpectedCloses: report.unexpectedCloses,
      latencyMs: latencySummary(report),
      clientCpuMicros: report.clientCpuMicros,
      clientMaxLoopLagMs: report.maxLoopLagMs,
      machineBusyCores: machineMicros / wallMicros,
      otherProcessesCores: Math.max(0, machineMicros - ours) / wallMicros,
      gatewayGc,
      profileFiles: profileFiles?.filter((f): f is string => f !== undefined),
      serverLogTail: servers.flatMap((s) => s.logs.filter(notable).slice(-5)),
    };
  } finally {
    for (const s of samplers) s.stop();
    await shutDown(pool, deployment);
  }
}

export interface GatewayGc {
  scavenges: number;
  scavengeMs: number;
  markCompacts: number;
  markCompactMs: number;
  loopDelayMaxMs: number;
}

/** A replica's GC counters and its event-loop delay maximum since the last scrape (prom-client resets it on every scrape); undefined if /metrics did not answer. */
async function gcCounters(server: ServerUnderTest): Promise<GatewayGc | undefined> {
  const page = await scrapeMetrics(server.port);
  if (!page.includes('# TYPE nodejs_gc_duration_seconds ')) return undefined;
  // A kind of collection that has not happened yet has no line: none so far.
  const read = (series: string) => seriesValue(page, series) ?? 0;
  return {
    scavenges: read('nodejs_gc_duration_seconds_count{kind="minor"}'),
    scavengeMs: read('nodejs_gc_duration_seconds_sum{kind="minor"}') * 1000,
    markCompacts: read('nodejs_gc_duration_seconds_count{kind="major"}'),
    markCompactMs: read('nodejs_gc_duration_seconds_sum{kind="major"}') * 1000,
    loopDelayMaxMs: read('nodejs_eventloop_lag_max_seconds') * 1000,
  };
}

/** What happened between two scrapes of every replica: collections summed, the longest loop delay. */
function gcWindow(before: (GatewayGc | undefined)[], after: (GatewayGc | undefined)[]): GatewayGc | undefined {
  if (before.some((b) => b === undefined) || after.some((a) => a === undefined)) return undefined;
  const sum = (k: keyof GatewayGc) => after.reduce((s, a, i) => s + (a![k] - before[i]![k]), 0);
  return {
    scavenges: sum('scavenges'),
    scavengeMs: sum('scavengeMs'),
    markCompacts: sum('markCompacts'),
    markCompactMs: sum('markCompactMs'),
    loopDelayMaxMs: Math.max(...after.map((a) => a!.loopDelayMaxMs)),
  };
}

/**
 * Idle connections: RSS before any client, and after `idleClients` connected and the
 * process settled. Without rooms (`/ws`), or in rooms of `roomSize` (`/ws/{room}`).
 */
export async function idle(target: Target, o: BenchOptions, inRooms: boolean): Promise<IdleResult> {
  const server = await startServer(target);
  const pool = new LoadPool(o.clientProcesses);
  try {
    await waitForQuiet(server.pid);
    const rssBeforeBytes = await settledRss(server.pid, 1000);
    const base = `ws://127.0.0.1:${server.port}`;
    const url = (name: string, index: number) =>
      target === 'ws-reference'
        ? `${base}/?user_id=${name}`
        : inRooms
          ? `${base}/ws/idle-${Math.floor(index / o.roomSize)}?user_id=${name}`
          : `${base}/ws?user_id=${name}`;
    const conn = await pool.connect({
      mode: 'ws',
      clients: o.idleClients,
      place: (name, index) => ({ url: url(name, index), room: -1 }),
      rooms: [],
      batch: o.connectBatch,
      readyOn: target === 'switchboard' && inRooms ? 'user_list' : 'open',
      timeoutMs: 120_000,
    });
    await waitForQuiet(server.pid);
    const rssAfterBytes = await settledRss(server.pid, 2000);
    return {
      scenario: inRooms ? 'idle-room' : 'idle',
      target,
      clients: o.idleClients,
      roomSize: inRooms ? o.roomSize : undefined,
      connected: conn.connected,
      failed: conn.failed,
      firstFailure: conn.firstFailure,
      connectMs: conn.ms,
      rssBeforeBytes,
      rssAfterBytes,
      rssPerConnectionKB: (rssAfterBytes - rssBeforeBytes) / Math.max(1, conn.connected) / 1024,
    };
  } finally {
    await shutDown(pool, { servers: [server], stop: () => server.stop() });
  }
}

/**
 * Clients first, then the server(s). The clients' side keeps the TIME_WAIT entries, keyed by
 * this server's port, which no later run listens on, so ephemeral ports never run short.
 */
async function shutDown(pool: LoadPool, deployment: Deployment): Promise<void> {
  await pool.close().catch(() => undefined);
  await deployment.stop().catch(() => undefined);
}

/** A server log line worth showing: a warning or an error, or anything that is not a JSON log entry. */
function notable(line: string): boolean {
  try {
    const entry = JSON.parse(line) as { level?: string };
    return entry.level === 'warn' || entry.level === 'error' || entry.level === 'fatal';
  } catch {
    return line.trim() !== '';
  }
}

/** The profiler preload added to the gateway's own NODE_OPTIONS, so a profiled gateway keeps the V8 flags it is measured with. */
export function profilerEnv(dir: string): Record<string, string> {
  return { NODE_OPTIONS: `${gatewayNodeOptions()} --require ${join(__dirname, 'cpu-profiler-preload.js')}`.trim(), BENCH_PROFILE_DIR: dir };
}

/** Signals the profiler preload and waits for its log line; returns the profile's path when written. */
export async function toggleProfiler(server: ServerUnderTest, expect: 'started' | 'written'): Promise<string | undefined> {
  const from = server.logs.length;
  process.kill(server.pid, 'SIGUSR2');
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    for (const line of server.logs.slice(from)) {
      const m = /"msg":"cpu profile (started|written)"(?:,"file":"([^"]+)")?/.exec(line);
      if (m?.[1] === expect) return m[2];
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`the gateway's profiler (pid ${server.pid}) did not report "${expect}" within 15s`);
}

function latencySummary(r: PoolReport): RunResult['latencyMs'] {
  const h = r.latency;
  return { p50: h.quantile(0.5) / 1000, p99: h.quantile(0.99) / 1000, max: h.max / 1000, mean: h.count ? h.sum / h.count / 1000 : NaN };
}
