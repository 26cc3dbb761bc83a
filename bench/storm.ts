/**
 * The `storm` size scenario (issue 21.5): a replica's reconnect storm.
 *
 * STORM_REPLICAS gateway replicas on one Redis; `--storm` (3,000) JWT clients in STORM_ROOMS
 * rooms, client i on replica i mod 3, plus one sender per room on the first replica;
 * STORM_RATE messages/s round-robin over the rooms. After STORM_KILL_AFTER_S of traffic the
 * last replica is SIGKILLed: its clients connect again at once to a surviving replica (the
 * load balancer's job; the same window of handshakes in flight as the opening) and re-join
 * their room with `since`, as @switchboard/client does. Measured: the time from the kill
 * until every one of them is back in its room (join reply) and resumed (`recovered`),
 * messages lost and duplicated over the whole run (must be 0), and the p99 latency of the
 * clients that stayed connected, before and after the kill. Beside it, in the same run: the
 * plain `ws` server accepting as many connections as the killed replica held, with the same
 * method (the floor of a reconnect on this machine).
 */
import { ClientProcess } from './client-process';
import { LatencyHistogram } from './histogram';
import { nowMs } from './load-protocol';
import type { BenchOptions } from './options';
import { freshSourceAddresses, PER_PROCESS } from './scale';
import { ScalePool } from './scale-pool';
import { benchToken, type Cluster, scrapeMetrics, startCluster, startServer } from './servers';
import type { StormClientPlan, StormCommand, StormEvent, StormReport } from './storm-protocol';
import { sumByKey } from './sum';
import { sleep } from '@switchboard/testing';

export const STORM_REPLICAS = 3;
export const STORM_ROOMS = 200;
export const STORM_RATE = 200;
/** Seconds of traffic before the kill, and in all. */
export const STORM_KILL_AFTER_S = 3;
export const STORM_SECONDS = 15;

export interface StormResult {
  scenario: 'storm';
  target: 'switchboard' | 'socketio';
  replicas: number;
  rooms: number;
  clients: number;
  connected: number;
  failed: number;
  firstFailure?: string;
  /** Opening all the clients: first handshake → last join reply. */
  openMs: number;
  /** The killed replica's clients. */
  planned: number;
  /** Clients that lost their connection (the killed replica's, and any a survivor dropped); of them back in their room, and resumed (`recovered: true`). */
  moved: number;
  rejoined: number;
  recovered: number;
  /** Kill → the last of them back and resumed (ms); kill → the first drop its clients saw. */
  stormMs?: number;
  detectMs?: number;
  reconnectFailures: number;
  firstReconnectFailure?: string;
  sent: number;
  lost: number;
  duplicated: number;
  /** Latency (ms) of the clients that stayed: messages sent before the kill, and from the kill on. */
  stayedBefore: { p50: number; p99: number; max: number; samples: number };
  stayedAfter: { p50: number; p99: number; max: number; samples: number };
  /** The plain ws server accepting `moved` connections, same window and method (ms), and the ratio. */
  baselineMs?: number;
  baselineConnected?: number;
  ratio?: number;
  closes: Record<string, number>;
  errorFrames: number;
  firstError?: string;
  /** The surviving replicas' warnings and errors during the run, by message, with a count. */
  survivorWarnings: Record<string, number>;
  /** The surviving replicas' disconnect and error counters at the end (`/metrics`), one object per replica. */
  survivorCounters: Array<Record<string, number>>;
}

function quantiles(h: LatencyHistogram) {
  return { p50: h.quantile(0.5) / 1000, p99: h.quantile(0.99) / 1000, max: h.max / 1000, samples: h.count };
}

async function reports(procs: Array<ClientProcess<StormCommand, StormEvent>>): Promise<StormReport[]> {
  return (await Promise.all(procs.map((p) => p.ask({ cmd: 'report' }, 'report', 15_000)))).map((e) => e.report);
}

/**
 * `target` socketio: Socket.IO 4 + redis-adapter replicas; a dropped client connects again to a
 * survivor (socket.io-client, its room from the query) and cannot resume: what it missed is lost.
 */
export async function storm(o: BenchOptions, target: StormResult['target'] = 'switchboard'): Promise<StormResult> {
  const n = o.stormClients;
  const limits = { WEBSOCKET_MAX_CONNECTIONS: String(n + 1000), WEBSOCKET_MAX_ROOM_MEMBERS: String(n + 1000) };
  const cluster: Cluster = await startCluster(target, STORM_REPLICAS, () => limits);
  const socketIo = target === 'socketio';
  const ports = cluster.replicas.map((r) => r.port);
  const victim = STORM_REPLICAS - 1;
  const survivors = ports.slice(0, victim);
  const url = (port: number, room: string, token: string) => (socketIo ? `http://127.0.0.1:${port}` : `ws://127.0.0.1:${port}/ws/auth/${room}?token=${token}`);
  // Senders first (process 0 holds them all), then the receivers.
  const plans: StormClientPlan[] = [];
  for (let r = 0; r < STORM_ROOMS; r++) {
    const room = `storm${r}`;
    const token = benchToken(`sender${r}`, [room]);
    plans.push({ url: url(ports[0], room, token), room, sender: true, fallback: [url(ports[0], room, token)], query: { room, user_id: `sender${r}` } });
  }
  for (let i = 0; i < n; i++) {
    const room = `storm${i % STORM_ROOMS}`;
    const token = benchToken(`u${i}`, [room]);
    const fallback = survivors.map((_, k) => url(survivors[(i + k) % survivors.length], room, token));
    plans.push({ url: url(ports[i % STORM_REPLICAS], room, token), room, fallback, query: { room, user_id: `u${i}` } });
  }
  const processes = Math.max(2, Math.ceil(plans.length / PER_PROCESS));
  const procs = Array.from({ length: processes }, (_, i) => new ClientProcess<StormCommand, StormEvent>(`storm client ${i}`, 'storm-client.js'));
  const window = Math.max(1, Math.ceil(o.connectWindow / processes));
  const addresses = freshSourceAddresses(o.sources);
  let result: StormResult;
  try {
    const blocks = procs.map((_, p) => plans.slice(Math.floor((p * plans.length) / processes), Math.floor(((p + 1) * plans.length) / processes)));
    const opened = await Promise.all(procs.map((proc, p) => proc.ask({ cmd: 'open', mode: socketIo ? 'socketio' : 'ws', clients: blocks[p], localAddresses: addresses, window }, 'opened', 180_000)));
    const openMs = Math.max(...opened.map((x) => x.lastReadyAt)) - Math.min(...opened.map((x) => x.firstStartAt));
    const planned = plans.filter((p, i) => !p.sender && (i - STORM_ROOMS) % STORM_REPLICAS === victim).length;
    /** Every client that lost its connection: the killed replica's, and any a surviving replica dropped meanwhile. */
    const dropped = (xs: StormReport[]) => Math.max(planned, xs.reduce((s, r) => s + r.moved, 0));
    // Socket.IO has no resume: back in the room is all it does.
    const resumed = (xs: StormReport[]) => xs.reduce((s, r) => s + (socketIo ? r.rejoined : r.recovered), 0);

    const total = STORM_RATE * STORM_SECONDS;
    const sent = procs[0].ask({ cmd: 'send', total, rate: STORM_RATE, payloadBytes: o.payloadBytes }, 'sent', (STORM_SECONDS + 60) * 1000);
    await sleep(STORM_KILL_AFTER_S * 1000);
    const killedAt = nowMs();
    process.kill(cluster.replicas[victim].pid, 'SIGKILL');
    for (const p of procs) p.send({ cmd: 'killed', at: killedAt });

    // Until every client of the killed replica is back and resumed, or a minute.
    let rs = await reports(procs);
    const deadline = Date.now() + 60_000;
    while (resumed(rs) < dropped(rs) && Date.now() < deadline) {
      await sleep(200);
      rs = await reports(procs);
    }
    const perRoom = (await sent).perRoom;
    // Let the last messages (and replays) arrive.
    await sleep(2000);
    rs = await reports(procs);

    const receivedByRoom = sumByKey(rs.map((r) => r.receivedByRoom));
    const clientsByRoom = sumByKey(rs.map((r) => r.clientsByRoom));
    let expected = 0;
    let received = 0;
    for (const [room, clients] of Object.entries(clientsByRoom)) {
      expected += clients * (perRoom[room] ?? 0);
      received += receivedByRoom[room] ?? 0;
    }
    const before = new LatencyHistogram();
    const after = new LatencyHistogram();
    for (const r of rs) {
      before.merge(r.stayedBefore);
      after.merge(r.stayedAfter);
    }
    const lastRejoinAt = Math.max(0, ...rs.map((r) => r.lastRejoinAt ?? 0));
    const firstDropAt = Math.min(Infinity, ...rs.map((r) => r.firstDropAt ?? Infinity));
    const recovered = socketIo ? 0 : resumed(rs);
    result = {
      scenario: 'storm',
      target,
      replicas: STORM_REPLICAS,
      rooms: STORM_ROOMS,
      clients: n,
      connected: opened.reduce((s, x) => s + x.connected, 0) - STORM_ROOMS,
      failed: opened.reduce((s, x) => s + x.failed, 0),
      firstFailure: opened.find((x) => x.firstFailure)?.firstFailure,
      openMs,
      planned,
      moved: rs.reduce((s, r) => s + r.moved, 0),
      rejoined: rs.reduce((s, r) => s + r.rejoined, 0),
      recovered,
      stormMs: resumed(rs) >= dropped(rs) && lastRejoinAt > 0 ? lastRejoinAt - killedAt : undefined,
      detectMs: Number.isFinite(firstDropAt) ? firstDropAt - killedAt : undefined,
      reconnectFailures: rs.reduce((s, r) => s + r.reconnectFailures, 0),
      firstReconnectFailure: rs.find((r) => r.firstReconnectFailure)?.firstReconnectFailure,
      sent: Object.values(perRoom).reduce((s, x) => s + x, 0),
      lost: expected - received,
      duplicated: rs.reduce((s, r) => s + r.duplicates, 0),
      stayedBefore: quantiles(before),
      stayedAfter: quantiles(after),
      closes: sumByKey(rs.map((r) => r.closes)),
      errorFrames: rs.reduce((s, r) => s + r.errorFrames, 0),
      firstError: rs.find((r) => r.firstError)?.firstError,
      survivorWarnings: warningsOf(cluster.replicas.slice(0, victim).flatMap((r) => r.logs)),
      survivorCounters: socketIo ? [] : await Promise.all(survivors.map(counters)),
    };
  } finally {
    await Promise.all(procs.map((p) => p.close({ cmd: 'close' }, 10_000)));
    await cluster.stop();
  }
  // The floor, measured after the cluster is gone: as many connections as the killed replica held.
  const base = await baseline(result.planned, o);
  return { ...result, baselineMs: base.ms, baselineConnected: base.connected, ratio: result.stormMs !== undefined ? result.stormMs / base.ms : undefined };
}

/** The plain ws server accepting `count` connections, the same window, fresh source addresses. */
async function baseline(count: number, o: BenchOptions): Promise<{ ms: number; connected: number }> {
  const server = await startServer('ws-reference');
  const pool = new ScalePool(2);
  try {
    const plans = Array.from({ length: count }, (_, i) => ({ url: `ws://127.0.0.1:${server.port}/?user_id=b${i}&token=x` }));
    const opened = await pool.open('ws', plans, freshSourceAddresses(o.sources), o.connectWindow, 'open', 120_000);
    return { ms: opened.ms, connected: opened.connected };
  } finally {
    await pool.close();
    await server.stop();
  }
}

/** A replica's disconnect and error counters, by series (`/metrics`). */
async function counters(port: number): Promise<Record<string, number>> {
  const text = await scrapeMetrics(port);
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^switchboard_(disconnects_total|errors_total|bus_errors_total)(\{[^}]*\})? (\S+)$/gm)) {
    if (Number(m[3]) > 0) out[`${m[1]}${m[2] ?? ''}`] = Number(m[3]);
  }
  return out;
}

/** Log lines at warn or above (pino levels 40+), counted by message. */
function warningsOf(lines: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of lines) {
    try {
      const entry = JSON.parse(line) as { level?: number | string; msg?: string };
      const level = typeof entry.level === 'number' ? entry.level : ['warn', 'error', 'fatal'].includes(String(entry.level)) ? 40 : 0;
      if (level >= 40) out[String(entry.msg).slice(0, 120)] = (out[String(entry.msg).slice(0, 120)] ?? 0) + 1;
    } catch {
      // not a JSON log line
    }
  }
  return out;
}

export function stormLines(rs: StormResult[]): string[] {
  const ms = (x?: number) => (x === undefined ? 'not all' : `${(x / 1000).toFixed(2)} s`);
  return rs.flatMap((r) => [
    `Reconnect storm (storm, ${r.target}): ${r.clients} ${r.target === 'socketio' ? '' : 'JWT '}clients (${r.connected} connected, ${r.failed} failed${r.firstFailure ? `: ${r.firstFailure}` : ''}) in ${r.rooms} rooms over ${r.replicas} replicas, ` +
      `${STORM_RATE} msg/s round-robin over the rooms for ${STORM_SECONDS} s (senders on replica 1); replica ${r.replicas} SIGKILLed after ${STORM_KILL_AFTER_S} s`,
    `  opened in ${ms(r.openMs)}; the killed replica held ${r.planned}; clients dropped: ${r.moved} (${r.moved - r.planned} of them by a surviving replica; first drop seen ${r.detectMs?.toFixed(0)} ms after the kill), ${r.rejoined} back in their room, ${r.target === 'socketio' ? 'none resumed (Socket.IO has no resume through the Redis adapter)' : `${r.recovered} resumed`}`,
    `  all back${r.target === 'socketio' ? ' (no resume)' : ' and resumed'} ${ms(r.stormMs)} after the kill; plain ws accepting ${r.baselineConnected} connections (same window, same run): ${ms(r.baselineMs)}; ratio ${r.ratio?.toFixed(2) ?? '–'} (aim ≤ 2)`,
    `  messages: ${r.sent} sent, lost ${r.lost}, duplicated ${r.duplicated}; reconnect attempts failed ${r.reconnectFailures}${r.firstReconnectFailure ? ` (${r.firstReconnectFailure})` : ''}`,
    `  clients that stayed: before the kill p50 ${r.stayedBefore.p50.toFixed(2)} / p99 ${r.stayedBefore.p99.toFixed(2)} / max ${r.stayedBefore.max.toFixed(2)} ms (${r.stayedBefore.samples}); ` +
      `from the kill on p50 ${r.stayedAfter.p50.toFixed(2)} / p99 ${r.stayedAfter.p99.toFixed(2)} / max ${r.stayedAfter.max.toFixed(2)} ms (${r.stayedAfter.samples})`,
    `  closes seen ${JSON.stringify(r.closes)}; error frames ${r.errorFrames}${r.firstError ? ` (${r.firstError})` : ''}`,
    `  surviving replicas' warnings: ${JSON.stringify(r.survivorWarnings)}; their counters: ${JSON.stringify(r.survivorCounters)}`,
    '',
  ]);
}
