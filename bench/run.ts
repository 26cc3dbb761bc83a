/**
 * `npm run bench`: measures the gateway against a naive `ws` server and, in a two-replica
 * cluster, against Socket.IO 4 with its Redis adapter, in the same run.
 *
 *   fanout     N clients in one room, one sends M messages as fast as it may: deliveries/s,
 *              server CPU per delivery, peak RSS, lost/duplicated, latency p50/p99.
 *   fanout-2r  the same room spread over 2 replicas on one Redis (started by the bench).
 *   rooms-2r   clients in many small rooms over 2 replicas, senders at a fixed total rate.
 *   idle       K idle connections: server RSS per connection (no room, and in rooms).
 *   fanout-2r-nohistory  fanout-2r with room history off: what history costs per delivery.
 *   resume     clients resuming 100 missed messages each: resumes/s, CPU per resume.
 *   sse-2r     fanout-2r with WebSocket receivers, then SSE receivers, in one run; and ping
 *              round trips over a WebSocket and over SSE POSTs (to either replica).
 *
 * Every server, client and redis-server is its own process; all of them are killed when the
 * bench ends, however it ends (done, error, SIGINT/SIGTERM/SIGHUP, hard stop). Scenarios that cannot start before the deadline are skipped, so a run is
 * bounded in time. `--quick` is a smoke run; `--help` lists the parameters.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { killAll, killChildrenOnExit } from './children';
import { measureResume, type ResumeResult } from './resume';
import { hottest } from './cpu-profile';
import { type BenchOptions, parseOptions } from './options';
import { aimsTable, clusterTable, fanOutTable, fanOutWarnings, idleTable, publishCostMicros, uplinkTable } from './report';
import {
  clusterFanOutShape,
  acksShape,
  clusterRoomsShape,
  fanOutShape,
  idle,
  type IdleResult,
  measureRun,
  type ProfileOptions,
  REPLICAS,
  type RunResult,
  type RunScenario,
  sseFanOutShape,
} from './scenarios';
import { measureUplink, type UplinkResult } from './sse-uplink';
import { GATEWAY_NODE_OPTIONS, type Target } from './servers';
import { type SignalingResumeResult, signalingResumeRun, signalingResumeTable } from './signaling-resume';
import { relayRate, SIGNALING_CANDIDATES, type SignalingResult, signalingRun, signalingTable } from './signaling';
// --- size scenarios (issue 9) ---
import { fillRoom, type FillRoomResult, idleMany, type IdleManyResult } from './scale';
import { storm, stormLines, type StormResult } from './storm';
import { fillRoomNotes, fillRoomTable, idleManyNote, idleManyTable, scaleAimsTable } from './scale-report';

const started = Date.now();
const elapsedS = () => (Date.now() - started) / 1000;
const log = (msg: string) => process.stderr.write(`[${elapsedS().toFixed(1).padStart(5)}s] ${msg}\n`);

interface Environment {
  date: string;
  node: string;
  cpus: number;
  cpuModel: string;
  os: string;
  memoryGB: number;
  openFilesLimit: number;
  ephemeralPorts: string;
  loadAverage: string;
}

function environment(): Environment {
  const limits = safeRead('/proc/self/limits');
  const nofile = /Max open files\s+(\d+)/.exec(limits)?.[1];
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    os: `${platform()} ${release()}`,
    memoryGB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    openFilesLimit: nofile ? Number(nofile) : NaN,
    loadAverage: loadAverage(),
    ephemeralPorts: safeRead('/proc/sys/net/ipv4/ip_local_port_range').trim().replace(/\s+/, '–') || 'unknown',
  };
}

function loadAverage(): string {
  return loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function header(o: BenchOptions, env: Environment): string {
  return [
    `Switchboard bench${o.quick ? ' (--quick)' : ''} — ${env.date}`,
    `  node ${env.node}, ${env.cpus} CPUs (${env.cpuModel}), ${env.os}, ${env.memoryGB} GB RAM`,
    `  open files limit ${env.openFilesLimit}, ephemeral ports ${env.ephemeralPorts}, load average ${env.loadAverage} at start`,
    `  targets: ${o.targets.join(', ')}; scenarios: ${o.scenarios.join(', ')}`,
    `  fanout: ${o.clients} clients in one room, ${o.messages} messages of ${o.payloadBytes} B content from one sender, ${o.rate > 0 ? `${o.rate} a second` : 'as fast as backpressure allows (>1 MB buffered waits)'}; one server (gateway BUS=memory)`,
    `  fanout-2r: the same across ${REPLICAS} replicas (clients alternate between them; the sender is on replica 1)`,
    `  rooms-2r: ${o.roomsClients} clients in ${o.rooms} rooms of ${Math.floor(o.roomsClients / o.rooms)} across ${REPLICAS} replicas (each room split evenly), ` +
      `${o.roomsRate} messages/s in all, round-robin over the rooms, for ${o.roomsSeconds} s (${clusterRoomsShape(o).messages} messages of ${o.payloadBytes} B); ` +
      `one sender per room, a member on replica 1 (even rooms) or 2 (odd rooms)`,
    `  cluster: one redis-server (started by the bench, no persistence); switchboard BUS=redis, REDIS_URL, JWT_SECRET, limits raised; ` +
      `socketio: Socket.IO 4 Server (websocket only, no deflate) + @socket.io/redis-adapter on ioredis, clients socket.io-client (websocket only)`,
    `  idle: ${o.idleClients} connections (no room; and in rooms of ${o.roomSize})`,
    `  load: ${o.clientProcesses} client processes, connects paced in batches of ${o.connectBatch}; gateway LOG_LEVEL=info NODE_OPTIONS=${process.env.BENCH_GATEWAY_NODE_OPTIONS ?? GATEWAY_NODE_OPTIONS}`,
    ...scaleHeader(o),
    `  deadline: scenarios not started by ${o.deadlineSeconds}s are skipped; at ${o.deadlineSeconds + HARD_STOP_AFTER_DEADLINE_S}s everything is stopped and what was measured is reported`,
  ].join('\n');
}

/** The size scenarios' parameters, when they run. */
function scaleHeader(o: BenchOptions): string[] {
  const out: string[] = [];
  if (o.scenarios.includes('rooms-2r')) out.push(`  rooms-2r switchboard runs once per WEBSOCKET_WRITE_DELAY of ${o.writeDelays.map((d) => `${d} ms`).join(', ')}`);
  if (o.scenarios.includes('fill-room')) {
    out.push(
      `  fill-room: ${o.fillClients} clients (JWT, /ws/auth/fill) join one room across ${REPLICAS} replicas on one Redis, client i on replica i mod ${REPLICAS}; ` +
        `ready = first user_list (socketio: connect; ws-reference: open, one server); ${o.connectWindow} handshakes in flight from ${o.sources} source addresses`,
    );
  }
  if (o.scenarios.includes('storm')) out.push(`  storm: ${o.stormClients} JWT clients in 200 rooms over 3 replicas, ${o.connectWindow} handshakes in flight from ${o.sources} source addresses, reconnects included`);
  if (o.scenarios.includes('idle-many')) {
    out.push(`  idle-many: ${o.idleManyClients} JWT connections to one server, ${o.connectWindow} handshakes in flight from ${o.sources} source addresses (127.B.0.2…, B from the bench's start time; each run its own, 127.B.1.2… next)`);
  }
  return out;
}

/** Fails early when the fd limit cannot hold the connections (each side is its own process). */
function checkLimits(o: BenchOptions, env: Environment): void {
  const scale = [...(o.scenarios.includes('fill-room') ? [o.fillClients] : []), ...(o.scenarios.includes('idle-many') ? [o.idleManyClients] : []), ...(o.scenarios.includes('storm') ? [Math.ceil(o.stormClients / 2) + 200] : [])];
  // signaling-resume: the bench holds every peer and its watcher, the surviving replica both too once resumed.
  if (o.scenarios.includes('signaling-resume')) scale.push(2 * o.signalingResumePeers);
  const need = Math.max(o.idleClients, o.clients, o.roomsClients, ...scale) + 256;
  if (Number.isFinite(env.openFilesLimit) && env.openFilesLimit < need) {
    throw new Error(`open files limit ${env.openFilesLimit} is below the ${need} a server needs; raise it (ulimit -n) or lower --idle/--clients`);
  }
}

/** Seconds past the deadline at which the bench stops whatever is running and reports what it has. */
const HARD_STOP_AFTER_DEADLINE_S = 55;

/** Everything measured so far: printed at the end, or when the hard stop cuts a run short. */
interface Results {
  /** Single-server fan-out runs. */
  fanOut: RunResult[];
  /** Two-replica runs (fanout-2r, rooms-2r). */
  cluster: RunResult[];
  idle: IdleResult[];
  fillRoom: FillRoomResult[];
  idleMany: IdleManyResult[];
  storm: StormResult[];
  resume: ResumeResult[];
  signaling: SignalingResult[];
  signalingResume: SignalingResumeResult[];
  /** sse-2r: uplink round trips per path. */
  uplink: UplinkResult[];
  /** Hottest functions per profiled gateway process, and the window the profile covers. */
  profiles: Array<{ label: string; window: string; profile: ReturnType<typeof hottest> }>;
  skipped: string[];
  errors: string[];
}

async function main(): Promise<number> {
  const o = parseOptions(process.argv.slice(2), process.env, join(__dirname, '..', '..', 'bench', 'results', 'latest.json'));
  const env = environment();
  checkLimits(o, env);
  const results: Results = { fanOut: [], cluster: [], idle: [], resume: [], signaling: [], signalingResume: [], uplink: [], fillRoom: [], idleMany: [], storm: [], profiles: [], skipped: [], errors: [] };
  killChildrenOnExit((why) => {
    results.errors.push(`stopped early: ${why}`);
    printResults(o, env, results);
  });
  const hardStopS = o.deadlineSeconds + HARD_STOP_AFTER_DEADLINE_S;
  // Whatever hangs, the bench ends in bounded time, reports what it measured, and every
  // process it started goes with it.
  setTimeout(() => {
    log(`hard stop at ${hardStopS}s: stopping everything`);
    results.errors.push(`hard stop at ${hardStopS}s: the scenario running then was abandoned`);
    killAll();
    printResults(o, env, results);
    process.exit(1);
  }, hardStopS * 1000).unref();

  process.stdout.write(`${header(o, env)}\n\n`);
  const runs = plan(o);
  if (runs.length === 0) results.errors.push(`nothing to run: none of the targets ${o.targets.join(', ')} applies to ${o.scenarios.join(', ')} (see --help)`);
  for (const { scenario, target, writeDelayMs } of runs) {
    const name = `${scenario}/${target}${writeDelayMs === undefined ? '' : ` (write delay ${writeDelayMs} ms)`}`;
    if (elapsedS() > o.deadlineSeconds) {
      results.skipped.push(name);
      log(`${name}: skipped (past the ${o.deadlineSeconds}s deadline)`);
      continue;
    }
    log(`${name}: starting`);
    try {
      if (scenario === 'fill-room') {
        const r = await fillRoom(target, o);
        results.fillRoom.push(r);
        log(`${name}: ${r.connected}/${r.clients} joined in ${(r.ms / 1000).toFixed(2)} s, ${Math.round(r.joinsPerSec)} joins/s, ${r.cpuPerJoinMicros.toFixed(0)} µs CPU per join`);
      } else if (scenario === 'storm') {
        const r = await storm(o, target === 'socketio' ? 'socketio' : 'switchboard');
        results.storm.push(r);
        log(`${name}: ${r.target === 'socketio' ? r.rejoined : r.recovered}/${r.moved} back${r.target === 'socketio' ? '' : ' and resumed'} in ${r.stormMs === undefined ? '(not all)' : `${(r.stormMs / 1000).toFixed(2)} s`} (plain ws: ${((r.baselineMs ?? 0) / 1000).toFixed(2)} s), lost ${r.lost}, dup ${r.duplicated}`);
      } else if (scenario === 'idle-many') {
        const r = await idleMany(target, o);
        results.idleMany.push(r);
        log(`${name}: ${r.connected}/${r.clients} connected in ${(r.connectMs / 1000).toFixed(2)} s, ${r.rssPerConnectionKB.toFixed(2)} KB per connection`);
      } else if (scenario === 'resume') {
        const r = await measureResume(o);
        results.resume.push(r);
        log(`${name}: ${r.resumesPerSec.toFixed(0)} resumes/s (${Math.round(r.replayedPerSec)} replayed messages/s), ${r.serverCpuMicrosPerResume.toFixed(0)} µs gateway CPU per resume, failed ${r.failed}`);
      } else if (scenario === 'fanout' || scenario === 'fanout-2r' || scenario === 'fanout-2r-nohistory' || scenario === 'rooms-2r') {
        const r = await measureRun(target, shapeOf(scenario, o), o, runCapMs(o), undefined, writeDelayMs);
        (scenario === 'fanout' ? results.fanOut : results.cluster).push(r);
        const redis = r.redisCpuPerDeliveryMicros === undefined ? '' : ` (+${r.redisCpuPerDeliveryMicros.toFixed(3)} µs Redis)`;
        log(
          `${name}: ${Math.round(r.deliveriesPerSec)} deliveries/s, ${r.cpuPerDeliveryMicros.toFixed(3)} µs server CPU per delivery${redis}, ` +
            `p99 ${r.latencyMs.p99.toFixed(1)} ms, lost ${r.lost}, dup ${r.duplicated}${r.complete ? '' : ` — INCOMPLETE: ${r.incompleteReason}`}`,
        );
      } else if (scenario === 'sse-2r') {
        // The same room twice in one run: receivers on WebSockets, then on SSE streams.
        for (const sse of [false, true]) {
          const r = await measureRun(target, sseFanOutShape(o, sse), o, runCapMs(o));
          results.cluster.push(r);
          log(`${name} (${r.receivers} receivers): ${Math.round(r.deliveriesPerSec)} deliveries/s, ${r.cpuPerDeliveryMicros.toFixed(3)} µs server CPU per delivery, p99 ${r.latencyMs.p99.toFixed(1)} ms, lost ${r.lost}, dup ${r.duplicated}`);
        }
        const u = await measureUplink(o);
        results.uplink.push(u);
        log(`${name} uplink: ${u.paths.map((p) => `${p.frame} ${p.path} p99 ${p.p99.toFixed(2)} ms`).join('; ')}`);
      } else if (scenario === 'acks-2r') {
        // The same rooms twice in one run: chat frames without a publish id, then with one.
        for (const ids of [false, true]) {
          const r = await measureRun(target, acksShape(o, ids), o, runCapMs(o));
          results.cluster.push(r);
          log(`${name} (${ids ? 'with ids' : 'without ids'}): ${publishCostMicros(r).toFixed(1)} µs CPU per published message (replicas + Redis), ${r.acks} acks, lost ${r.lost}, dup ${r.duplicated}${r.complete ? '' : ` — INCOMPLETE: ${r.incompleteReason}`}`);
        }
      } else if (scenario === 'signaling-resume') {
        const r = await signalingResumeRun(o);
        results.signalingResume.push(r);
        log(`${name}: ${r.resumed}/${r.peers} resumed, ${Math.round(r.resumesPerSec)} resumes/s, SIGKILL → last ${r.durationMs.toFixed(0)} ms, peer_left seen ${r.peerLeftSeen}`);
      } else if (scenario === 'signaling-2r') {
        const r = await signalingRun(o, runCapMs(o), undefined, target);
        results.signaling.push(r);
        log(`${name}: ${relayRate(r)}, p99 ${r.latencyMs.p99.toFixed(2)} ms, ${r.cpuPerRelayMicros.toFixed(1)} µs server CPU per relay`);
      } else {
        const r = await idle(target, o, scenario === 'idle-room');
        results.idle.push(r);
        log(`${name}: ${r.connected} connected, ${r.rssPerConnectionKB.toFixed(2)} KB per connection`);
      }
    } catch (err) {
      results.errors.push(`${name}: ${(err as Error).message}`);
      log(`${name}: FAILED: ${(err as Error).message}`);
    }
  }

  if (o.profile && o.targets.includes('switchboard')) {
    // The join path (fill-room, both replicas), the relay path (signaling-2r), the uplink path (sse-2r's round trips) and the connect path (idle-many): one more run each under the V8 profiler.
    const fillWindow = 'first handshake → every server quiet after the last join';
    const relayWindow = 'first relay sent → last relay delivered';
    const scaleProfiles = [
      {
        scenario: 'fill-room',
        run: async (dir: string) => ((await fillRoom('switchboard', o, { dir })).profileFiles ?? []).map((file, i) => ({ file, label: `fill-room (joins), replica ${i + 1}`, window: fillWindow })),
      },
      {
        scenario: 'signaling-2r',
        run: async (dir: string) => ((await signalingRun(o, runCapMs(o), { dir })).profileFiles ?? []).map((file, i) => ({ file, label: `signaling-2r (relays), replica ${i + 1}`, window: relayWindow })),
      },
      {
        scenario: 'sse-2r',
        run: async (dir: string) =>
          ((await measureUplink(o, { dir })).profileFiles ?? []).map((file, i) => ({ file, label: `sse-2r uplink (round trips), replica ${i + 1}${i === 0 ? " (the stream's)" : ''}`, window: 'the measured round trips' })),
      },
      {
        scenario: 'idle-many',
        run: async (dir: string) => {
          const files = (await idleMany('switchboard', o, { dir })).profileFiles;
          return [
            { file: files?.connect, label: `idle-many, while ${o.idleManyClients} connect`, window: 'first handshake → last connection open' },
            {
              file: files?.hold,
              label: `idle-many, while ${o.idleManyClients} are held (pings, probe room)`,
              window: 'a client muted → it was closed, a probe round sent and every connection pinged twice',
            },
          ];
        },
      },
    ] as const;
    for (const { scenario, run } of scaleProfiles.filter((p) => o.scenarios.includes(p.scenario))) {
      if (elapsedS() > o.deadlineSeconds) {
        results.skipped.push(`profile ${scenario}`);
        continue;
      }
      log(`profile ${scenario}: one more run with the gateway under the V8 profiler`);
      try {
        const dir = join(o.profileDir, scenario);
        rmSync(dir, { recursive: true, force: true });
        mkdirSync(dir, { recursive: true });
        for (const { file, label, window } of await run(dir)) if (file) results.profiles.push({ label, window, profile: hottest(file) });
      } catch (err) {
        results.errors.push(`profile ${scenario}: ${(err as Error).message}`);
      }
    }
  }

  if (o.profile && o.targets.includes('switchboard')) {
    // One more run of each selected message scenario with the gateway(s) under the V8 profiler.
    for (const scenario of (['fanout', 'fanout-2r', 'rooms-2r', 'sse-2r'] as const).filter((sc) => o.scenarios.includes(sc))) {
      const name = `profile ${scenario}`;
      if (elapsedS() > o.deadlineSeconds) {
        results.skipped.push(name);
        continue;
      }
      log(`${name}: one more run with the gateway under the V8 profiler (its figures are not the ones reported)`);
      try {
        const profile: ProfileOptions = { dir: join(o.profileDir, scenario) };
        rmSync(profile.dir, { recursive: true, force: true });
        mkdirSync(profile.dir, { recursive: true });
        // sse-2r: its SSE half (the WebSocket half is fanout-2r's).
        const shape = scenario === 'sse-2r' ? sseFanOutShape(o, true) : shapeOf(scenario, o);
        const r = await measureRun('switchboard', shape, o, runCapMs(o), profile);
        if (!r.profileFiles?.length) throw new Error(`no .cpuprofile written in ${profile.dir}`);
        r.profileFiles.forEach((file, i) => {
          const label = r.replicas === 1 ? scenario : `${scenario}, replica ${i + 1}${i === 0 ? ' (the sender\'s)' : ''}`;
          results.profiles.push({ label, window: 'first send → last delivery', profile: hottest(file) });
          log(`${name}: ${file}`);
        });
      } catch (err) {
        results.errors.push(`${name}: ${(err as Error).message}`);
      }
    }
  }

  printResults(o, env, results);
  return results.errors.length ? 1 : 0;
}

/**
 * Every scenario for every target it applies to: the reference server is one node (in
 * rooms-2r it holds all the clients: the floor a fan-out through a cluster is compared to);
 * Socket.IO is measured in the cluster scenarios only.
 */
function plan(o: BenchOptions): Array<{ scenario: BenchOptions['scenarios'][number]; target: Target; writeDelayMs?: number }> {
  const applies: Record<BenchOptions['scenarios'][number], readonly Target[]> = {
    fanout: ['switchboard', 'ws-reference'],
    'fanout-2r': ['switchboard', 'socketio'],
    'fanout-2r-nohistory': ['switchboard'],
    resume: ['switchboard'],
    'rooms-2r': ['switchboard', 'ws-reference', 'socketio'],
    idle: ['switchboard', 'ws-reference'],
    'idle-room': ['switchboard'],
    'signaling-2r': ['switchboard', 'ws-reference'],
    'signaling-resume': ['switchboard'],
    'sse-2r': ['switchboard'],
    'acks-2r': ['switchboard'],
    'fill-room': ['switchboard', 'ws-reference', 'socketio'],
    'idle-many': ['switchboard', 'ws-reference'],
    // The plain ws baseline runs inside the scenario (same run), for each target.
    storm: ['switchboard', 'socketio'],
  };
  return o.scenarios.flatMap((scenario) =>
    o.targets
      .filter((target) => applies[scenario].includes(target))
      // rooms-2r: one gateway run per WEBSOCKET_WRITE_DELAY.
      .flatMap((target) => (scenario === 'rooms-2r' && target === 'switchboard' ? o.writeDelays.map((writeDelayMs) => ({ scenario, target, writeDelayMs })) : [{ scenario, target }])),
  );
}

function shapeOf(scenario: RunScenario, o: BenchOptions) {
  if (scenario === 'fanout') return fanOutShape(o);
  if (scenario === 'fanout-2r' || scenario === 'fanout-2r-nohistory') return clusterFanOutShape(o, scenario === 'fanout-2r');
  return clusterRoomsShape(o);
}

/** How long a run may take before it is reported as incomplete. */
function runCapMs(o: BenchOptions): number {
  return Math.min(60_000, Math.max(15_000, (o.deadlineSeconds - elapsedS()) * 1000));
}

function printResults(o: BenchOptions, env: Environment, r: Results): void {
  const out: string[] = [];
  if (r.fanOut.length) {
    out.push(
      `Fan-out: ${o.clients} clients × ${o.messages} messages × ${o.payloadBytes} B ` +
        '(deliveries/s = deliveries ÷ first send → last delivery; latency = receive − send, wall clock, includes queueing behind earlier messages)',
    );
    out.push(fanOutTable(r.fanOut), '');
  }
  const clusterNote =
    'srv CPU = both replicas together ÷ deliveries (replica CPU s: each); Redis apart; peak RSS per replica; ' +
    'sent msg/s = messages ÷ first → last send; latency = receive − send, wall clock';
  const fanOut2r = r.cluster.filter((x) => x.scenario === 'fanout-2r' || x.scenario === 'fanout-2r-nohistory');
  if (fanOut2r.length) {
    out.push(`Fan-out across ${REPLICAS} replicas (fanout-2r): ${o.clients} clients in one room × ${o.messages} messages × ${o.payloadBytes} B, sender on replica 1 (${clusterNote})`);
    out.push(clusterTable(fanOut2r), '');
  }
  const sse2r = r.cluster.filter((x) => x.scenario === 'sse-2r');
  if (sse2r.length || r.uplink.length) {
    out.push(`Fan-out over SSE against WebSocket (sse-2r): ${o.clients} clients in one room across ${REPLICAS} replicas × ${o.messages} messages × ${o.payloadBytes} B, the sender a WebSocket client on replica 1 (${clusterNote})`);
    if (sse2r.length) out.push(clusterTable(sse2r), '');
    for (const u of r.uplink) {
      out.push(`Uplink round trips (sse-2r): ${u.samples} per frame and path, one at a time, interleaved; send → the pong, or the client's own chat message back through the bus, read by the client`, uplinkTable(u), '');
    }
  }
  const acks2r = r.cluster.filter((x) => x.scenario === 'acks-2r');
  if (acks2r.length) {
    const shape = acksShape(o, true);
    out.push(
      `Acknowledged publish (acks-2r): ${o.rooms} rooms of ${REPLICAS} (sender on one replica, receiver on the other), ${o.roomsRate} msg/s for ${o.roomsSeconds} s = ` +
        `${shape.messages} messages × ${o.payloadBytes} B, without then with a publish id on every frame; ` +
        `CPU per published message = (both replicas + Redis) ÷ messages: ${acks2r.map((x) => `${x.ids ? 'with' : 'without'} ids ${publishCostMicros(x).toFixed(1)} µs`).join(', ')} (${clusterNote})`,
    );
    out.push(clusterTable(acks2r), '');
  }
  const rooms2r = r.cluster.filter((x) => x.scenario === 'rooms-2r');
  if (rooms2r.length) {
    const shape = clusterRoomsShape(o);
    out.push(
      `Rooms across ${REPLICAS} replicas (rooms-2r): ${o.roomsClients} clients in ${o.rooms} rooms, ${o.roomsRate} msg/s for ${o.roomsSeconds} s = ` +
        `${shape.messages} messages × ${o.payloadBytes} B (${clusterNote})`,
    );
    out.push(clusterTable(rooms2r), '');
  }
  for (const x of r.resume) {
    out.push(
      `Resume: ${x.resumes} clients (of ${x.resumes + x.failed}) each resumed ${x.missed} missed messages in ${x.rooms} rooms, 50 at a time: ` +
        `${x.resumesPerSec.toFixed(0)} resumes/s, ${Math.round(x.replayedPerSec)} replayed messages/s; per resume ${x.serverCpuMicrosPerResume.toFixed(0)} µs gateway CPU, ` +
        `${x.redisCpuMicrosPerResume.toFixed(0)} µs Redis CPU${x.firstError ? `; first error: ${x.firstError}` : ''}`,
      '',
    );
  }
  if (r.idle.length) {
    out.push(`Idle: ${o.idleClients} connections (RSS read after 2 s settling; KB/connection = (after − before) ÷ connected)`);
    out.push(idleTable(r.idle), '');
  }
  if (r.signaling.length) {
    out.push(
      `Signaling relay across ${REPLICAS} replicas (signaling-2r): ${o.signalingPairs} pairs × (offer + answer + ${SIGNALING_CANDIDATES} ICE candidates), creator on replica 1, joiner on replica 2 ` +
        `(achieved relays/s = relays delivered ÷ first send → last delivery; paced (--signaling-rate > 0) it follows the offered rate, pairs/s × ${2 + SIGNALING_CANDIDATES}, ` +
        'so only a run with --signaling-rate 0, all pairs at once, measures capacity; latency = receive − send in one process; srv CPU = both replicas ÷ relays, Redis apart; ' +
        'ws-reference: a plain ws relay over Redis pub/sub on the same hops, nothing else — the floor of this machine)',
    );
    out.push(signalingTable(r.signaling), '');
  }
  if (r.signalingResume.length) {
    out.push(
      'Signaling resume after a SIGKILLed replica (signaling-resume): peers on replica 1, each in a room with a watcher on replica 2; replica 1 SIGKILLed, ' +
        'every peer reconnects to replica 2 with ?resume= (resumes/s = resumed ÷ SIGKILL → last resumed; CPU: replica 2 and Redis over the resumes)',
    );
    out.push(signalingResumeTable(r.signalingResume), '');
  }
  if (r.fillRoom.length) {
    out.push(
      `Fill one room (fill-room): ${o.fillClients} JWT clients, ${o.connectWindow} handshakes in flight from ${o.sources} source addresses ` +
        '(joins/s = joined ÷ first handshake → last ready; CPU and Redis from before the first handshake until every server went quiet; ' +
        'message = one message from a member to the room, reached = members that got it, last ms = send → last member)',
    );
    out.push(fillRoomTable(r.fillRoom), ...fillRoomNotes(r.fillRoom), '');
  }
  if (r.idleMany.length) out.push(idleManyNote(o.idleManyClients), idleManyTable(r.idleMany), '');
  if (r.storm.length) out.push(...stormLines(r.storm));
  if (r.fillRoom.length || r.idleMany.length) out.push('Size aims', scaleAimsTable(r.fillRoom, r.idleMany), '');
  if (r.fanOut.length || r.cluster.length || r.idle.length || r.uplink.length) out.push('Aims', aimsTable(r.fanOut, r.idle, r.cluster, o.roomsRate, r.uplink), '');
  const warnings = [...r.fanOut, ...r.cluster].flatMap(fanOutWarnings);
  if (o.quick) warnings.push('--quick: too few deliveries for stable per-delivery figures (CPU is read in 10 ms ticks); a smoke run only');
  if (warnings.length) out.push('Warnings', ...warnings.map((w) => `  ${w}`), '');
  for (const { label, window, profile } of r.profiles) {
    out.push(`Gateway CPU profile, ${label} (${window}, ${(profile.totalMs / 1000).toFixed(1)} s sampled): top self time`);
    out.push(profileTable(profile), '');
  }
  if (r.skipped.length) out.push(`Skipped (deadline): ${r.skipped.join(', ')}`);
  if (r.errors.length) out.push('Errors', ...r.errors.map((e) => `  ${e}`));
  out.push(`Total time ${elapsedS().toFixed(1)} s; load average ${loadAverage()} at the end`);
  if (o.json) {
    mkdirSync(dirname(o.json), { recursive: true });
    const json = { parameters: o, environment: env, ...r, totalSeconds: elapsedS() };
    writeFileSync(o.json, `${JSON.stringify(json, null, 2)}\n`);
    out.push(`Results written to ${o.json}`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

function profileTable(profile: ReturnType<typeof hottest>): string {
  return profile.functions
    .map((f) => `  ${f.percent.toFixed(1).padStart(5)}%  ${f.selfMs.toFixed(0).padStart(7)} ms  ${f.name}  ${f.where}`)
    .join('\n');
}

main().then(
  (code) => {
    killAll();
    process.exit(code);
  },
  (err: Error) => {
    process.stderr.write(`bench: ${err.message}\n`);
    killAll();
    process.exit(1);
  },
);
