/**
 * The size scenarios:
 *
 *   fill-room  N JWT-authenticated clients join ONE room across 2 gateway replicas on a Redis
 *              the bench started: joins/s, server CPU and Redis commands per join, then one
 *              message to the room (reaches all N?) and a `user_list` (capped, `total` = N?).
 *              Beside it: the plain `ws` server accepting N connections (connect rate only) and
 *              Socket.IO 4 + redis-adapter, 2 replicas, every client joining one room.
 *   idle-many  N JWT-authenticated connections held by ONE replica, opened from several
 *              loopback source addresses by several processes: connect rate (vs the plain `ws`
 *              server, same count, same method), RSS per connection, ping lateness at a short
 *              WEBSOCKET_PING_PERIOD, how soon a client that stops answering pings is
 *              terminated, and p99 latency of a 20-member probe room meanwhile.
 */
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { LatencyHistogram } from './histogram';
import { nowMs } from './load-protocol';
import type { BenchOptions } from './options';
import { cpuMicros, hwmBytes, settledRss, waitForQuiet, writeSyscalls } from './proc-stats';
import { ScalePool } from './scale-pool';
import type { ReadyOn, ScaleClientPlan, ScaleMode } from './scale-protocol';
import { profilerEnv, type ProfileOptions, REPLICAS, toggleProfiler } from './scenarios';
import { benchToken, scrapeMetrics, seriesValue, type ServerUnderTest, startCluster, startServer, type Target } from './servers';
import { sleep } from '@switchboard/testing';

const FILL_ROOM = 'fill';
/** The gateway's default WEBSOCKET_PRESENCE_EVENTS_MAX_MEMBERS: up to it every join sends a notice to every member. */
export const NOTICE_THRESHOLD = 1000;
const PROBE_ROOM = 'probe';
/** Members of the idle-many probe room, messages sent to it and their rate. */
export const PROBE_MEMBERS = 20;
export const PROBE_MESSAGES = 250;
export const PROBE_RATE = 50;
/** idle-many runs the gateway with these heartbeat settings, so a few periods fit in a short run. */
export const IDLE_PING_PERIOD_S = 5;
export const IDLE_PONG_WAIT_S = 10;
/** Connections a load process holds at most (a process may open 20,000 files here). */
export const PER_PROCESS = 6_000;

export interface FillRoomResult {
  scenario: 'fill-room';
  target: Target;
  replicas: number;
  clients: number;
  connected: number;
  failed: number;
  firstFailure?: string;
  /** First handshake started → last client ready (user_list / connect / open). */
  ms: number;
  joinsPerSec: number;
  /** Joins/s of the first NOTICE_THRESHOLD joins (each notified to every member) and of the rest. */
  firstJoinsPerSec?: number;
  restJoinsPerSec?: number;
  /** Both replicas' CPU over the fill (until they went quiet) ÷ connected. */
  cpuPerJoinMicros: number;
  /** Write syscalls of every server over the fill, per join (join notices to members dominate below the notice cap). */
  writesPerJoin: number;
  replicaCpuMicros: number[];
  redisCpuPerJoinMicros?: number;
  redisCommandsPerJoin?: number;
  /** Every command Redis ran during the fill (those scripts ran included), per join, most first. */
  redisTopCommands?: string;
  /** Bytes of join replies (`user_list`) per join. */
  userListBytesPerJoin: number;
  /** Each server's peak RSS (VmHWM) up to the end of the fill: start-up, the joins, the settling after. */
  peakRssBytes: number[];
  /** One message to the room: members that got it, and how long until the last did (ms). */
  messageReached: number;
  messageLastMs: number;
  /** A `user_list` request after the fill (gateway only). */
  userList?: { names: number; total?: number; bytes: number };
  closes: Record<string, number>;
  errorFrames: number;
  firstError?: string;
  profileFiles?: string[];
}

export interface IdleManyResult {
  scenario: 'idle-many';
  target: Target;
  clients: number;
  sources: number;
  processes: number;
  connected: number;
  failed: number;
  firstFailure?: string;
  connectMs: number;
  connectsPerSec: number;
  /** The server's CPU (user + system) from the first handshake until it went quiet after the last, per connection. */
  cpuPerConnectMicros: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  rssPerConnectionKB: number;
  /**
   * Kernel memory (slab: sockets, files, TCP state) per connection, machine-wide growth ÷ 2
   * (client and server ends are both here); other processes' churn makes it approximate.
   */
  slabPerConnectionKB: number;
  /** Ping interval − period at the clients (ms), gateway only; samples = intervals, probe room's included. */
  pingLateMs?: { p50: number; p99: number; max: number; samples: number };
  /** Of the N connections but the muted one, how many saw at least one ping interval (two pings) during the hold, and how many saw none. */
  pingedConnections?: number;
  unpingedConnections?: number;
  /** The gateway's longest event-loop stall while the N were held (its nodejs_eventloop_lag_max_seconds). */
  loopLagMaxMs?: number;
  /** A client that stopped answering pings: terminated after (ms), and the bound (PONG_WAIT + PING_PERIOD). */
  mutedClosedAfterMs?: number;
  mutedCloseCode?: number;
  mutedBoundMs?: number;
  probe?: { sent: number; received: number; p50: number; p99: number; max: number };
  /** The server's CPU profiles, when profiled: while the N connect, and while they are held (pings, probe). */
  profileFiles?: { connect: string; hold?: string };
  /** The same probe before the N connections were opened (this machine's baseline, in the same run). */
  probeBaseline?: IdleManyResult['probe'];
  closes: Record<string, number>;
}

/** The kernel's slab memory (machine-wide), bytes. */
function slabBytes(): number {
  const kb = /^Slab:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1];
  return kb ? Number(kb) * 1024 : NaN;
}

/** This invocation's 127.B.0.0/16, B from the second it started: another bench started within the last 250 s has another. */
const sourceNet = 1 + (Math.floor(Date.now() / 1000) % 250);
let sourceBlock = 0;

/**
 * `n` loopback addresses no earlier run used: 127.B.0.2, 127.B.0.3, … for this bench's first
 * run, 127.B.1.2, … for its next, B differing from one bench invocation to the next (every
 * 127.0.0.0/8 address is the loopback interface on Linux). A run's closed connections leave
 * ~N TIME_WAIT entries on its source addresses for 60 s; a run right after another on the
 * same addresses connected at a fraction of its rate (the ws reference, 18,000 connections:
 * 311/s second, 1,166/s first; the gateway, idle-many run right after another bench
 * invocation: 628–968/s against 1,629–2,159/s).
 */
export function freshSourceAddresses(n: number): string[] {
  const block = sourceBlock++ % 250;
  return Array.from({ length: n }, (_, i) => `127.${sourceNet}.${block}.${2 + i}`);
}

function processesFor(clients: number, min = 2): number {
  return Math.max(min, Math.ceil(clients / PER_PROCESS));
}

/** Polls the pool's merged report until `done` holds or `ms` pass; returns the last report. */
async function reportWhen(pool: ScalePool, done: (r: Awaited<ReturnType<ScalePool['report']>>) => boolean, ms: number) {
  const until = Date.now() + ms;
  for (;;) {
    const r = await pool.report();
    if (done(r) || Date.now() > until) return r;
    await sleep(200);
  }
}

/** Joins/s up to the notice threshold and after it, from the clients' ready times. */
function splitRates(startAt: number, ready: number[]): Pick<FillRoomResult, 'firstJoinsPerSec' | 'restJoinsPerSec'> {
  if (ready.length <= NOTICE_THRESHOLD) return {};
  const at = ready[NOTICE_THRESHOLD - 1];
  return {
    firstJoinsPerSec: NOTICE_THRESHOLD / ((at - startAt) / 1000),
    restJoinsPerSec: (ready.length - NOTICE_THRESHOLD) / ((ready[ready.length - 1] - at) / 1000),
  };
}

async function redisCommandStats(url: string): Promise<Map<string, number>> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    const info = await client.info('commandstats');
    return new Map([...info.matchAll(/cmdstat_([^:]+):calls=(\d+)/g)].map((m) => [m[1], Number(m[2])]));
  } finally {
    client.disconnect();
  }
}

export async function fillRoom(target: Target, o: BenchOptions, profile?: ProfileOptions): Promise<FillRoomResult> {
  const n = o.fillClients;
  const limits = { WEBSOCKET_MAX_CONNECTIONS: String(n + 1000), WEBSOCKET_MAX_ROOM_MEMBERS: String(n + 1000) };
  const profiled = profile !== undefined && target === 'switchboard';
  const servers: ServerUnderTest[] = [];
  let redisUrl: string | undefined;
  let redisPid: number | undefined;
  let stop: () => Promise<void>;
  if (target === 'ws-reference') {
    const s = await startServer('ws-reference');
    servers.push(s);
    stop = () => s.stop();
  } else {
    const cluster = await startCluster(target, REPLICAS, () => ({ ...limits, ...(profiled ? profilerEnv(profile.dir) : {}) }));
    servers.push(...cluster.replicas);
    redisUrl = cluster.redis.url;
    redisPid = cluster.redis.pid;
    stop = () => cluster.stop();
  }
  const pool = new ScalePool(processesFor(n, o.clientProcesses));
  try {
    const plans: ScaleClientPlan[] = Array.from({ length: n }, (_, i) => {
      const name = `u${i}`;
      const port = servers[i % servers.length].port;
      const token = benchToken(name, [FILL_ROOM]);
      if (target === 'socketio') return { url: `http://127.0.0.1:${port}`, query: { room: FILL_ROOM, user_id: name } };
      if (target === 'ws-reference') return { url: `ws://127.0.0.1:${port}/?user_id=${name}&token=${token}` };
      return { url: `ws://127.0.0.1:${port}/ws/auth/${FILL_ROOM}?token=${token}` };
    });
    const pids = servers.map((s) => s.pid);
    await Promise.all([...pids, ...(redisPid ? [redisPid] : [])].map((pid) => waitForQuiet(pid)));
    if (profiled) await Promise.all(servers.map((s) => toggleProfiler(s, 'started')));
    const cpuBefore = pids.map(cpuMicros);
    const writesBefore = pids.map(writeSyscalls);
    const redisCpuBefore = redisPid ? cpuMicros(redisPid) : 0;
    const statsBefore = redisUrl ? await redisCommandStats(redisUrl) : undefined;
    const mode: ScaleMode = target === 'socketio' ? 'socketio' : 'ws';
    const readyOn: ReadyOn = target === 'switchboard' ? 'user_list' : target === 'socketio' ? 'connect' : 'open';
    const opened = await pool.open(mode, plans, freshSourceAddresses(o.sources), o.connectWindow, readyOn, 180_000);
    await Promise.all([...pids, ...(redisPid ? [redisPid] : [])].map((pid) => waitForQuiet(pid)));
    const replicaCpuMicros = pids.map((pid, i) => cpuMicros(pid) - cpuBefore[i]);
    const writes = pids.reduce((s, pid, i) => s + writeSyscalls(pid) - writesBefore[i], 0);
    const redisCpu = redisPid ? cpuMicros(redisPid) - redisCpuBefore : undefined;
    const statsAfter = redisUrl ? await redisCommandStats(redisUrl) : undefined;
    const profileFiles = profiled ? ((await Promise.all(servers.map((s) => toggleProfiler(s, 'written')))).filter(Boolean) as string[]) : undefined;
    const peakRssBytes = pids.map(hwmBytes);
    const joined = Math.max(1, opened.connected);
    let redisCommandsPerJoin: number | undefined;
    let redisTopCommands: string | undefined;
    if (statsBefore && statsAfter) {
      // INFO is the bench's own (this measurement, finding Redis' pid).
      const delta = [...statsAfter].filter(([cmd]) => cmd !== 'info').map(([cmd, calls]) => [cmd, calls - (statsBefore.get(cmd) ?? 0)] as const).filter(([, d]) => d > 0);
      redisCommandsPerJoin = delta.reduce((s, [, d]) => s + d, 0) / joined;
      redisTopCommands = delta
        .sort((a, b) => b[1] - a[1])
        .map(([cmd, d]) => `${cmd} ${(d / joined).toFixed(2)}`)
        .join(', ');
    }

    // One message to the room from client 0: every member should get it once.
    pool.broadcast({ cmd: 'reset' });
    const content = `probe|0|${Math.round(nowMs() * 1000)}|one message to the whole room`;
    pool.send(0, { cmd: 'send', index: 0, frame: JSON.stringify({ type: 'message', room: FILL_ROOM, content }) });
    const afterMessage = await reportWhen(pool, (r) => r.clientsWithMessage >= opened.connected, 15_000);
    const lastMs = LatencyHistogram.from(afterMessage.probeLatency).max / 1000;

    let userList: FillRoomResult['userList'];
    if (target === 'switchboard') {
      pool.broadcast({ cmd: 'reset' });
      pool.send(0, { cmd: 'send', index: 0, frame: JSON.stringify({ type: 'user_list', room: FILL_ROOM }) });
      userList = (await reportWhen(pool, (r) => r.userList !== undefined, 10_000)).userList;
    }
    const final = await pool.report();
    return {
      scenario: 'fill-room',
      target,
      replicas: servers.length,
      clients: n,
      connected: opened.connected,
      failed: opened.failed,
      firstFailure: opened.firstFailure,
      ms: opened.ms,
      joinsPerSec: opened.connected / (opened.ms / 1000),
      ...splitRates(opened.startAt, opened.readyTimes),
      cpuPerJoinMicros: replicaCpuMicros.reduce((a, b) => a + b, 0) / joined,
      writesPerJoin: writes / joined,
      replicaCpuMicros,
      redisCpuPerJoinMicros: redisCpu === undefined ? undefined : redisCpu / joined,
      redisCommandsPerJoin,
      redisTopCommands,
      userListBytesPerJoin: opened.userListBytes / joined,
      peakRssBytes,
      messageReached: afterMessage.clientsWithMessage,
      messageLastMs: lastMs,
      userList,
      closes: final.closes,
      errorFrames: final.errorFrames,
      firstError: final.firstError,
      profileFiles,
    };
  } finally {
    await pool.close().catch(() => undefined);
    await stop().catch(() => undefined);
  }
}

export async function idleMany(target: Target, o: BenchOptions, profile?: ProfileOptions): Promise<IdleManyResult> {
  const n = o.idleManyClients;
  const heartbeat = { WEBSOCKET_PING_PERIOD: `${IDLE_PING_PERIOD_S}s`, WEBSOCKET_PONG_WAIT: `${IDLE_PONG_WAIT_S}s` };
  const profiled = profile !== undefined && target === 'switchboard';
  const server = await startServer(target, {
    WEBSOCKET_MAX_CONNECTIONS: String(n + PROBE_MEMBERS + 100),
    ...heartbeat,
    ...(profiled ? profilerEnv(profile.dir) : {}),
  });
  const processes = processesFor(n, o.clientProcesses);
  const probing = target === 'switchboard';
  // The probe room has a process of its own (the last), so the idle clients' ping traffic does not delay what it measures.
  const pool = new ScalePool(processes + (probing ? 1 : 0));
  try {
    // The probe room first, and its latency with nothing else connected: the baseline of this machine, now.
    const probeBaseline = probing ? await probeRoom(server, pool, o) : undefined;
    await waitForQuiet(server.pid);
    const rssBeforeBytes = await settledRss(server.pid, 1000);
    const slabBefore = slabBytes();
    const base = `ws://127.0.0.1:${server.port}`;
    const plans: ScaleClientPlan[] = Array.from({ length: n }, (_, i) => {
      const token = benchToken(`u${i}`);
      return { url: target === 'ws-reference' ? `${base}/?user_id=u${i}&token=${token}` : `${base}/ws/auth?token=${token}` };
    });
    if (profiled) await toggleProfiler(server, 'started');
    const cpuBefore = cpuMicros(server.pid);
    const opened = await pool.open('ws', plans, freshSourceAddresses(o.sources), o.connectWindow, 'open', 180_000, processes);
    const connectProfile = profiled ? await toggleProfiler(server, 'written') : undefined;
    await waitForQuiet(server.pid);
    const connectCpu = cpuMicros(server.pid) - cpuBefore;
    const rssAfterBytes = await settledRss(server.pid, 2000);
    const slabAfter = slabBytes();
    const result: IdleManyResult = {
      scenario: 'idle-many',
      target,
      clients: n,
      sources: o.sources,
      processes,
      connected: opened.connected,
      failed: opened.failed,
      firstFailure: opened.firstFailure,
      connectMs: opened.ms,
      connectsPerSec: opened.connected / (opened.ms / 1000),
      cpuPerConnectMicros: connectCpu / Math.max(1, opened.connected),
      rssBeforeBytes,
      rssAfterBytes,
      rssPerConnectionKB: (rssAfterBytes - rssBeforeBytes) / Math.max(1, opened.connected) / 1024,
      // Both ends of every connection are on this machine: half the growth is the server side's.
      slabPerConnectionKB: (slabAfter - slabBefore) / 2 / Math.max(1, opened.connected) / 1024,
      probeBaseline,
      closes: {},
      profileFiles: connectProfile ? { connect: connectProfile } : undefined,
    };
    if (probing) {
      // The last idle client of the last idle process.
      await loopLagMaxMs(server); // reading it resets it
      if (profiled) await toggleProfiler(server, 'started');
      await heldWhileIdle(pool, { proc: processes - 1, index: opened.blocks[processes - 1] - 1 }, o, result);
      const holdProfile = profiled ? await toggleProfiler(server, 'written') : undefined;
      if (result.profileFiles && holdProfile) result.profileFiles.hold = holdProfile;
      result.loopLagMaxMs = await loopLagMaxMs(server);
    }
    result.closes = (await pool.report()).closes;
    return result;
  } finally {
    await pool.close().catch(() => undefined);
    await server.stop().catch(() => undefined);
  }
}

/** The gateway's event-loop lag max since the last scrape (prom-client resets it on every scrape), ms. */
async function loopLagMaxMs(server: ServerUnderTest): Promise<number> {
  const lag = seriesValue(await scrapeMetrics(server.port), 'nodejs_eventloop_lag_max_seconds');
  return lag === undefined ? NaN : lag * 1000;
}

type ProbeFigures = NonNullable<IdleManyResult['probe']>;

function probeFigures(data: Awaited<ReturnType<ScalePool['report']>>['probeLatency']): ProbeFigures {
  const h = LatencyHistogram.from(data);
  return { sent: PROBE_MESSAGES, received: h.count, p50: h.quantile(0.5) / 1000, p99: h.quantile(0.99) / 1000, max: h.max / 1000 };
}

/** Opens the probe room (the clients of the last process; its first sends) and measures one round of probe messages. */
async function probeRoom(server: ServerUnderTest, pool: ScalePool, o: BenchOptions): Promise<ProbeFigures> {
  const base = `ws://127.0.0.1:${server.port}`;
  const plans = Array.from({ length: PROBE_MEMBERS }, (_, i) => ({ url: `${base}/ws/auth/${PROBE_ROOM}?token=${benchToken(`p${i}`, [PROBE_ROOM])}` }));
  const opened = pool.ask(pool.size - 1, { cmd: 'open', mode: 'ws', clients: plans, localAddresses: ['127.0.0.1'], window: PROBE_MEMBERS, readyOn: 'user_list' }, 'opened', 30_000);
  const probe = await opened;
  if (probe.connected < PROBE_MEMBERS) throw new Error(`probe room: ${probe.failed} of ${PROBE_MEMBERS} failed (${probe.firstFailure})`);
  return probeFigures((await sendProbe(pool, o)).probeLatency);
}

async function sendProbe(pool: ScalePool, o: BenchOptions) {
  pool.broadcast({ cmd: 'reset' });
  const probed = pool.ask(pool.size - 1, { cmd: 'probe', sender: 0, room: PROBE_ROOM, messages: PROBE_MESSAGES, rate: PROBE_RATE, payloadBytes: o.payloadBytes }, 'probed', 60_000);
  await probed;
  await sleep(500);
  return pool.report();
}

/**
 * While the N connections are held: one client stops answering pings, the probe room gets
 * another round of messages, every client times its pings. Lasts until the muted client is
 * terminated (or twice its bound passed).
 */
async function heldWhileIdle(pool: ScalePool, mute: { proc: number; index: number }, o: BenchOptions, result: IdleManyResult): Promise<void> {
  const boundMs = (IDLE_PONG_WAIT_S + IDLE_PING_PERIOD_S) * 1000;
  const mutedClosed = new Promise<{ at: number; code: number }>((resolve) => pool.onClosed((proc, e) => proc === mute.proc && resolve(e)));
  pool.broadcast({ cmd: 'reset' });
  const mutedAt = nowMs();
  pool.send(mute.proc, { cmd: 'mute', index: mute.index });
  const closing = Promise.race([mutedClosed, sleep(boundMs * 2).then(() => undefined)]);
  // Long enough for every connection to be pinged twice after the reset: one interval each.
  const everyConnectionPingedTwice = sleep(2 * IDLE_PING_PERIOD_S * 1000 + 1000);
  const probed = await sendProbe(pool, o);
  const closed = await closing;
  await everyConnectionPingedTwice;
  const r = await pool.report();
  const pings = LatencyHistogram.from(r.pingIntervals);
  const late = (us: number) => us / 1000 - IDLE_PING_PERIOD_S * 1000;
  result.pingLateMs = { p50: late(pings.quantile(0.5)), p99: late(pings.quantile(0.99)), max: pings.count ? late(pings.max) : NaN, samples: pings.count };
  // The N are in every process but the last (the probe room's).
  const idle = r.perProcess.slice(0, -1);
  result.pingedConnections = idle.reduce((n, p) => n + p.clientsWithPingInterval, 0);
  result.unpingedConnections = idle.reduce((n, p) => n + p.clientsWithoutPingInterval, 0);
  result.mutedBoundMs = boundMs;
  result.mutedClosedAfterMs = closed ? closed.at - mutedAt : undefined;
  result.mutedCloseCode = closed?.code;
  result.probe = probeFigures(probed.probeLatency);
}
