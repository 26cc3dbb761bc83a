import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { freePorts } from './redis-server';
import { sleep } from './until';

/** The repository root, whether this runs from source (libs/testing/src, jest) or from dist/ (bench). */
const UP3 = join(__dirname, '..', '..', '..');
export const REPO_ROOT = basename(UP3) === 'dist' ? join(UP3, '..') : UP3;

/** A gateway (or api) started from the built app as its own OS process. */
export interface AppProcess {
  proc: ChildProcess;
  pid: number;
  port: number;
  url: string;
  http: string;
  /** Every log line it printed (stdout and stderr). */
  logs: string[];
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Log levels that leave out the info line saying where the app listens. */
const QUIET_LEVELS = new Set(['warn', 'error', 'fatal', 'silent']);

/**
 * How long a process may take to answer /health/live by default: the api and standalone open
 * their database (PGlite compiles its WebAssembly) and take several times a gateway's start on
 * a busy machine.
 */
const START_DEADLINE_MS = { gateway: 20_000, api: 60_000, standalone: 60_000 };

/**
 * Starts `node dist/apps/<app>/main.js` with the given environment and resolves once it
 * serves. Usually it listens on a port the OS picks (PORT=0) and says which in its info line.
 * With a LOG_LEVEL that leaves that line out, it runs on a free loopback port chosen here
 * (another one if that was taken meanwhile) and is ready once `/health/live` answers.
 * Needs `npm run build` first.
 */
export async function startAppProcess(app: 'gateway' | 'api' | 'standalone', env: Record<string, string>, timeoutMs = START_DEADLINE_MS[app]): Promise<AppProcess> {
  if (!QUIET_LEVELS.has(env.LOG_LEVEL ?? '')) return spawnApp(app, env, 0, timeoutMs);
  for (let attempt = 1; ; attempt++) {
    const [port] = await freePorts(1);
    try {
      return await spawnApp(app, env, port, timeoutMs);
    } catch (err) {
      if (attempt === 3 || !/EADDRINUSE/.test((err as Error).message)) throw err;
    }
  }
}

/**
 * Every app process started here and still running. Under jest, whatever a test file left
 * running is killed after it: a start that failed beside others (a `Promise.all` of starts)
 * would otherwise leave their processes, and jest waiting on their pipes, for good.
 */
const running = new Set<ChildProcess>();
const jestAfterAll = (globalThis as { afterAll?: (fn: () => void) => void }).afterAll;
jestAfterAll?.(() => {
  for (const proc of running) proc.kill('SIGKILL');
});

/** Port 0: ready when the app logs where it listens. Another port: ready when `/health/live` answers there. */
async function spawnApp(app: string, env: Record<string, string>, port: number, timeoutMs: number): Promise<AppProcess> {
  const proc = spawn(process.execPath, [join(REPO_ROOT, 'dist', 'apps', app, 'main.js')], {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  let listening = port;
  const onLine = (line: string) => {
    logs.push(line);
    if (listening === 0) listening = listeningPort(line);
  };
  lines(proc.stdout!, onLine);
  lines(proc.stderr!, onLine);
  running.add(proc);
  const exited = new Promise<number | null>((resolve) =>
    proc.once('exit', (code) => {
      running.delete(proc);
      resolve(code);
    }),
  );
  // After its output is read to the end: what it said before it exited is in `logs`.
  const closed = new Promise<void>((resolve) => proc.once('close', () => resolve()));
  const deadline = Date.now() + timeoutMs;
  while (port === 0 ? listening === 0 : !(await answers(`http://127.0.0.1:${port}/health/live`))) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      await closed;
      throw new Error(`${app} exited with ${proc.exitCode} before listening:\n${logs.join('\n')}`);
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`${app} did not start within ${timeoutMs}ms:\n${logs.join('\n')}`);
    }
    await sleep(port === 0 ? 10 : 50);
  }
  return {
    proc,
    pid: proc.pid!,
    port: listening,
    url: `ws://127.0.0.1:${listening}`,
    http: `http://127.0.0.1:${listening}`,
    logs,
    exited,
    stop: async (signal = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

/** The port of the app's "listening" log line, or 0 for any other line. */
function listeningPort(line: string): number {
  try {
    const entry = JSON.parse(line) as { port?: unknown; msg?: unknown };
    return typeof entry.port === 'number' && typeof entry.msg === 'string' && entry.msg.includes('listening') ? entry.port : 0;
  } catch {
    return 0;
  }
}

/** Whether `url` answers 2xx; a refused or reset connection is a process not listening yet. */
async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(1000) })).ok;
  } catch {
    return false;
  }
}

function lines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buf = '';
  stream.on('data', (chunk: Buffer) => {
    buf += chunk.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
}

/** Resident set size of a process in bytes (Linux). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

/** CPU time (user + system) a process has used, in microseconds (Linux). */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1e6) / CLOCK_TICKS;
}

const CLOCK_TICKS = 100;
