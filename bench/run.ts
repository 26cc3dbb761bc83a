/**
 * `npm run bench`: measures the gateway against a naive `ws` server in the same run.
 *
 *   fan-out    N clients in one room, one sends M messages as fast as it may: deliveries/s,
 *              server CPU per delivery, peak RSS, lost/duplicated, latency p50/p99.
 *   idle       K idle connections: server RSS per connection (no room, and in rooms).
 *
 * Every server and client is its own process; all of them are killed when the bench ends,
 * however it ends. Scenarios that cannot start before the deadline are skipped, so a run is
 * bounded in time. `--quick` is a smoke run; `--help` lists the parameters.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { killAll, killChildrenOnExit } from './children';
import { hottest } from './cpu-profile';
import { type BenchOptions, parseOptions } from './options';
import { aimsTable, fanOutTable, fanOutWarnings, idleTable } from './report';
import { fanOut, type FanOutResult, idle, type IdleResult } from './scenarios';
import type { Target } from './servers';

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
    `  fan-out: ${o.clients} clients in one room, ${o.messages} messages of ${o.payloadBytes} B content from one sender, ${o.rate > 0 ? `${o.rate} a second` : 'as fast as backpressure allows (>1 MB buffered waits)'}`,
    `  idle: ${o.idleClients} connections (no room; and in rooms of ${o.roomSize})`,
    `  load: ${o.clientProcesses} client processes, connects paced in batches of ${o.connectBatch}; gateway BUS=memory, LOG_LEVEL=info`,
    `  deadline: scenarios not started by ${o.deadlineSeconds}s are skipped; at ${o.deadlineSeconds + HARD_STOP_AFTER_DEADLINE_S}s everything is stopped and what was measured is reported`,
  ].join('\n');
}

/** Fails early when the fd limit cannot hold the connections (each side is its own process). */
function checkLimits(o: BenchOptions, env: Environment): void {
  const need = Math.max(o.idleClients, o.clients) + 256;
  if (Number.isFinite(env.openFilesLimit) && env.openFilesLimit < need) {
    throw new Error(`open files limit ${env.openFilesLimit} is below the ${need} a server needs; raise it (ulimit -n) or lower --idle/--clients`);
  }
}

/** Seconds past the deadline at which the bench stops whatever is running and reports what it has. */
const HARD_STOP_AFTER_DEADLINE_S = 55;

/** Everything measured so far: printed at the end, or when the hard stop cuts a run short. */
interface Results {
  fanOut: FanOutResult[];
  idle: IdleResult[];
  profile?: ReturnType<typeof hottest>;
  skipped: string[];
  errors: string[];
}

async function main(): Promise<number> {
  const o = parseOptions(process.argv.slice(2), process.env, join(__dirname, '..', '..', 'bench', 'results', 'latest.json'));
  const env = environment();
  checkLimits(o, env);
  const results: Results = { fanOut: [], idle: [], skipped: [], errors: [] };
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
  for (const { scenario, target } of plan(o)) {
    const name = `${scenario}/${target}`;
    if (elapsedS() > o.deadlineSeconds) {
      results.skipped.push(name);
      log(`${name}: skipped (past the ${o.deadlineSeconds}s deadline)`);
      continue;
    }
    log(`${name}: starting`);
    try {
      if (scenario === 'fanout') {
        const r = await fanOut(target, o, runCapMs(o));
        results.fanOut.push(r);
        log(`${name}: ${Math.round(r.deliveriesPerSec)} deliveries/s, ${r.cpuPerDeliveryMicros.toFixed(3)} µs server CPU per delivery`);
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
    if (elapsedS() > o.deadlineSeconds) {
      results.skipped.push('profile');
    } else {
      log('profile: one more fan-out with the gateway under the V8 profiler (its figures are not the ones reported)');
      try {
        rmSync(o.profileDir, { recursive: true, force: true });
        mkdirSync(o.profileDir, { recursive: true });
        const r = await fanOut('switchboard', o, runCapMs(o), { dir: o.profileDir });
        if (!r.profileFile) throw new Error(`no .cpuprofile written in ${o.profileDir}`);
        results.profile = hottest(r.profileFile);
        log(`profile: ${r.profileFile}`);
      } catch (err) {
        results.errors.push(`profile: ${(err as Error).message}`);
      }
    }
  }

  printResults(o, env, results);
  return results.errors.length ? 1 : 0;
}

/** Every scenario for every target; the reference server has no rooms, so no idle-room case. */
function plan(o: BenchOptions): Array<{ scenario: BenchOptions['scenarios'][number]; target: Target }> {
  return o.scenarios.flatMap((scenario) =>
    o.targets.filter((target) => !(scenario === 'idle-room' && target === 'ws-reference')).map((target) => ({ scenario, target })),
  );
}

/** How long a fan-out run may take before it is reported as incomplete. */
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
  if (r.idle.length) {
    out.push(`Idle: ${o.idleClients} connections (RSS read after 2 s settling; KB/connection = (after − before) ÷ connected)`);
    out.push(idleTable(r.idle), '');
  }
  if (r.fanOut.length || r.idle.length) out.push('Aims', aimsTable(r.fanOut, r.idle), '');
  const warnings = r.fanOut.flatMap(fanOutWarnings);
  if (o.quick) warnings.push('--quick: too few deliveries for stable per-delivery figures (CPU is read in 10 ms ticks); a smoke run only');
  if (warnings.length) out.push('Warnings', ...warnings.map((w) => `  ${w}`), '');
  if (r.profile) {
    out.push(`Gateway CPU profile of a fan-out run (first send → last delivery, ${(r.profile.totalMs / 1000).toFixed(1)} s sampled): top self time`);
    out.push(profileTable(r.profile), '');
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
