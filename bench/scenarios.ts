import { join } from 'node:path';
import { LoadPool, type PoolReport } from './load-pool';
import type { BenchOptions } from './options';
import { cpuMicros, hwmBytes, machineBusyMicros, RssSampler, rssBytes, settledRss, waitForQuiet } from './proc-stats';
import { type ServerUnderTest, startServer, type Target } from './servers';

const FANOUT_ROOM = 'bench';
/** Deliveries that stop progressing this long end a fan-out run as incomplete. */
const STALL_MS = 5_000;

export interface FanOutResult {
  scenario: 'fanout';
  target: Target;
  clients: number;
  messages: number;
  payloadBytes: number;
  /** Messages per second the sender aimed at (0: as fast as possible). */
  rate: number;
  connectMs: number;
  complete: boolean;
  incompleteReason?: string;
  deliveries: number;
  expected: number;
  /** First send to last delivery. */
  durationMs: number;
  /** How long the sender took to hand every message to its socket. */
  sendMs: number;
  deliveriesPerSec: number;
  serverCpuMicros: number;
  cpuPerDeliveryMicros: number;
  /** Highest sampled RSS from server start to the end of the run; VmHWM as reported by the kernel. */
  peakRssBytes: number;
  hwmBytes: number;
  rssBeforeSendBytes: number;
  lost: number;
  duplicated: number;
  reordered: number;
  shapeErrors: number;
  errorFrames: number;
  firstError?: string;
  unexpectedCloses: Record<string, number>;
  latencyMs: { p50: number; p99: number; max: number; mean: number };
  clientCpuMicros: number[];
  /** Cores the whole machine kept busy during the run, and how many of them went to processes the bench did not start. */
  machineBusyCores: number;
  otherProcessesCores: number;
  /** The gateway's CPU profile of the run, when profiled. */
  profileFile?: string;
  serverLogTail: string[];
}

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

/** Profile the gateway's CPU over the measured window, into this directory. */
export interface ProfileOptions {
  dir: string;
}

/** 1000 clients in one room; one of them sends as fast as it may; everyone counts what arrives. */
export async function fanOut(target: Target, o: BenchOptions, capMs: number, profile?: ProfileOptions): Promise<FanOutResult> {
  const server = await startServer(target, profile ? profilerEnv(profile.dir) : {});
  const sampler = new RssSampler(server.pid);
  const pool = new LoadPool(o.clientProcesses);
  try {
    const url = (name: string) =>
      target === 'switchboard' ? `ws://127.0.0.1:${server.port}/ws/${FANOUT_ROOM}?user_id=${name}` : `ws://127.0.0.1:${server.port}/?user_id=${name}`;
    const conn = await pool.connect({
      url,
      clients: o.clients,
      batch: o.connectBatch,
      readyOn: target === 'switchboard' ? 'user_list' : 'open',
      room: FANOUT_ROOM,
      messages: o.messages,
      timeoutMs: 120_000,
    });
    if (conn.failed > 0) throw new Error(`${target}: ${conn.failed} of ${o.clients} clients failed to connect (first: ${conn.firstFailure})`);
    // Let the joins' own traffic (join frames, user lists) finish before measuring.
    await waitForQuiet(server.pid);
    const rssBeforeSendBytes = rssBytes(server.pid);
    if (profile) await toggleProfiler(server, 'started');
    const cpuBefore = cpuMicros(server.pid);
    const machineBefore = machineBusyMicros();
    const selfBefore = process.cpuUsage();
    const wallBefore = Date.now();
    const outcome = await pool.run(o.messages, o.payloadBytes, o.rate, STALL_MS, capMs);
    const serverCpuMicros = cpuMicros(server.pid) - cpuBefore;
    const machineMicros = machineBusyMicros() - machineBefore;
    const self = process.cpuUsage(selfBefore);
    const wallMicros = (Date.now() - wallBefore) * 1000;
    const profileFile = profile ? await toggleProfiler(server, 'written') : undefined;
    const report = await pool.report();
    const peakRssBytes = sampler.stop();
    const durationMs = report.lastDeliveryAt - outcome.firstSendAt;
    const ours = serverCpuMicros + report.cpuMicros + self.user + self.system;
    return {
      scenario: 'fanout',
      target,
      clients: o.clients,
      messages: o.messages,
      payloadBytes: o.payloadBytes,
      rate: o.rate,
      connectMs: conn.ms,
      complete: outcome.complete,
      incompleteReason: outcome.reason,
      deliveries: report.deliveries,
      expected: o.clients * o.messages,
      durationMs,
      sendMs: outcome.lastSendAt - outcome.firstSendAt,
      deliveriesPerSec: report.deliveries / (durationMs / 1000),
      serverCpuMicros,
      cpuPerDeliveryMicros: serverCpuMicros / report.deliveries,
      peakRssBytes,
      hwmBytes: hwmBytes(server.pid),
      rssBeforeSendBytes,
      lost: report.lost,
      duplicated: report.duplicated,
      reordered: report.reordered,
      shapeErrors: report.shapeErrors,
      errorFrames: report.errorFrames,
      firstError: report.firstError,
      unexpectedCloses: report.unexpectedCloses,
      latencyMs: latencySummary(report),
      clientCpuMicros: report.clientCpuMicros,
      machineBusyCores: machineMicros / wallMicros,
      otherProcessesCores: Math.max(0, machineMicros - ours) / wallMicros,
      profileFile,
      serverLogTail: server.logs.filter(notable).slice(-5),
    };
  } finally {
    sampler.stop();
    await shutDown(pool, server);
  }
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
      url,
      clients: o.idleClients,
      batch: o.connectBatch,
      readyOn: target === 'switchboard' && inRooms ? 'user_list' : 'open',
      room: '',
      messages: 0,
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
    await shutDown(pool, server);
  }
}

/**
 * Clients first, then the server. The clients' side keeps the TIME_WAIT entries, keyed by
 * this server's port, which no later run listens on, so ephemeral ports never run short.
 */
async function shutDown(pool: LoadPool, server: ServerUnderTest): Promise<void> {
  await pool.close().catch(() => undefined);
  await server.stop().catch(() => undefined);
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

function profilerEnv(dir: string): Record<string, string> {
  return { NODE_OPTIONS: `--require ${join(__dirname, 'cpu-profiler-preload.js')}`, BENCH_PROFILE_DIR: dir };
}

/** Signals the profiler preload and waits for its log line; returns the profile's path when written. */
async function toggleProfiler(server: ServerUnderTest, expect: 'started' | 'written'): Promise<string | undefined> {
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
  throw new Error(`the gateway's profiler did not report "${expect}" within 15s`);
}

function latencySummary(r: PoolReport): FanOutResult['latencyMs'] {
  const h = r.latency;
  return { p50: h.quantile(0.5) / 1000, p99: h.quantile(0.99) / 1000, max: h.max / 1000, mean: h.count ? h.sum / h.count / 1000 : NaN };
}
