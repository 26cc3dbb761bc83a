import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { RedisServer, signToken, startAppProcess } from '@switchboard/testing';
import { atExit, ended, track } from './children';

/** `switchboard`: the gateway. `ws-reference`: a naive `ws` server (one node). `socketio`: Socket.IO 4 with the Redis adapter (cluster). */
export type Target = 'switchboard' | 'ws-reference' | 'socketio';

/** A server's Prometheus page (`/metrics`), or '' when it does not answer. */
export async function scrapeMetrics(port: number): Promise<string> {
  return fetch(`http://127.0.0.1:${port}/metrics`).then(
    (r) => r.text(),
    () => '',
  );
}

/** One series' value on a scraped page, named as Prometheus prints it (`name{label="v"}`); undefined when absent. */
export function seriesValue(page: string, series: string): number | undefined {
  const line = page.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** A server process under measurement. */
export interface ServerUnderTest {
  target: Target;
  pid: number;
  port: number;
  logs: string[];
  /** Asks it to exit (SIGTERM), SIGKILL after a grace period. */
  stop(): Promise<void>;
}

/** A redis-server the bench started, with its pid (for its CPU). */
export interface RedisUnderTest {
  pid: number;
  url: string;
  destroy(): Promise<void>;
}

/** Replicas of one target on one Redis. */
export interface Cluster {
  target: Target;
  replicas: ServerUnderTest[];
  redis: RedisUnderTest;
  /** Replicas first, then Redis. */
  stop(): Promise<void>;
}

/** An HS256 JWT as the gateway verifies it (JWT_SECRET of gatewayEnv), valid for an hour. */
export function benchToken(sub: string, rooms?: string[]): string {
  return signToken(rooms ? { sub, rooms } : { sub }, gatewayEnv().JWT_SECRET);
}

/** V8 flags the gateway runs with, as in the Dockerfile. */
export const GATEWAY_NODE_OPTIONS = '--max-semi-space-size=8';

/** The gateway's NODE_OPTIONS: the Dockerfile's V8 flags, or BENCH_GATEWAY_NODE_OPTIONS. */
export function gatewayNodeOptions(): string {
  return process.env.BENCH_GATEWAY_NODE_OPTIONS ?? GATEWAY_NODE_OPTIONS;
}

/** The environment the gateway runs with: limits out of the way of the load, quick drain. */
export function gatewayEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    JWT_SECRET: 'bench-secret-0123456789abcdef',
    BUS: 'memory',
    WEBSOCKET_MAX_CONNECTIONS: '20000',
    WEBSOCKET_CONNECT_RATE: '100000',
    WEBSOCKET_CONNECT_BURST: '100000',
    WEBSOCKET_MESSAGE_RATE: '1000000',
    WEBSOCKET_MESSAGE_BURST: '1000000',
    WEBSOCKET_MAX_MESSAGE_SIZE: '65536',
    WEBSOCKET_MAX_ROOM_MEMBERS: '20000',
    WEBSOCKET_DRAIN_TIMEOUT: '0s',
    // As the Dockerfile runs it (docs/operations/capacity.md, "Tuning"); BENCH_GATEWAY_NODE_OPTIONS='' to compare without.
    NODE_OPTIONS: gatewayNodeOptions(),
    ...settingsFrom(process.env.BENCH_GATEWAY_ENV),
    ...extra,
  };
}

/** `BENCH_GATEWAY_ENV='WEBSOCKET_X=1,WEBSOCKET_Y=2s'`: settings for every gateway of the run (A/B of one setting). */
function settingsFrom(list: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (list ?? '').split(',').filter(Boolean)) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new Error(`BENCH_GATEWAY_ENV: "${pair}" is not NAME=value`);
    out[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
  }
  return out;
}

export async function startServer(target: Target, extraEnv: Record<string, string> = {}): Promise<ServerUnderTest> {
  if (target === 'switchboard') return startSwitchboard(extraEnv);
  if (target === 'ws-reference') return startScript('ws-reference', 'ws-reference-server.js', []);
  throw new Error('socketio runs only as a cluster (it needs a Redis)');
}

/**
 * A Redis and `replicas` servers of `target` on it (the gateway with BUS=redis; Socket.IO
 * with the Redis adapter; ws-reference: the plain relay of ws-relay-server), all started in
 * parallel once Redis is up.
 */
export async function startCluster(target: Target, replicas: number, extraEnv: (replica: number) => Record<string, string> = () => ({})): Promise<Cluster> {
  const redis = await startRedis();
  const started = await Promise.allSettled(
    Array.from({ length: replicas }, (_, i) =>
      target === 'switchboard'
        ? startSwitchboard({ BUS: 'redis', REDIS_URL: redis.url, ...extraEnv(i) })
        : target === 'socketio'
          ? startScript('socketio', 'socketio-server.js', ['0', redis.url])
          : // ws-reference as a cluster: the plain relay signaling-2r is compared to.
            startScript('ws-reference', 'ws-relay-server.js', [String(i + 1), redis.url]),
    ),
  );
  const servers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const stop = async () => {
    await Promise.all(servers.map((s) => s.stop().catch(() => undefined)));
    await redis.destroy().catch(() => undefined);
  };
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  return { target, replicas: servers, redis, stop };
}

async function startRedis(): Promise<RedisUnderTest> {
  // Redis' defaults (as deployed), but no snapshots: RedisServer starts it with --save ''.
  const server = await RedisServer.start();
  let pid = 0;
  try {
    pid = await redisPid(server.url);
  } catch (err) {
    await server.destroy();
    throw err;
  }
  // RedisServer kills its process on exit; this also covers a hard stop, and removes its directory.
  const forget = atExit(() => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
    rmSync(server.dir, { recursive: true, force: true });
  });
  return {
    pid,
    url: server.url,
    destroy: async () => {
      forget();
      await server.destroy();
    },
  };
}

async function redisPid(url: string): Promise<number> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    const info = await client.info('server');
    const pid = Number(/process_id:(\d+)/.exec(info)?.[1]);
    if (!Number.isInteger(pid) || pid <= 0) throw new Error('redis INFO has no process_id');
    return pid;
  } finally {
    client.disconnect();
  }
}

async function startSwitchboard(extraEnv: Record<string, string>): Promise<ServerUnderTest> {
  const app = await startAppProcess('gateway', gatewayEnv(extraEnv));
  track(app.proc);
  return {
    target: 'switchboard',
    pid: app.pid,
    port: app.port,
    logs: app.logs,
    stop: () => ended((app.proc.kill('SIGTERM'), app.proc), 10_000),
  };
}

/** Starts one of the bench's own servers (`node dist/bench/<script> …args`); it prints `{"port":N}` once listening. */
function startScript(target: Target, script: string, args: string[], timeoutMs = 15_000): Promise<ServerUnderTest> {
  const proc = track(spawn(process.execPath, [join(__dirname, script), ...args], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] }));
  const logs: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${target} did not start within ${timeoutMs}ms:\n${logs.join('\n')}`));
    }, timeoutMs);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${target} exited with ${code} before listening:\n${logs.join('\n')}`));
    });
    proc.stderr!.on('data', (chunk: Buffer) => logs.push(chunk.toString()));
    let buf = '';
    proc.stdout!.on('data', (chunk: Buffer) => {
      buf += chunk.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        logs.push(line);
        try {
          const entry = JSON.parse(line) as { port?: number };
          if (typeof entry.port !== 'number') continue;
          clearTimeout(timer);
          resolve({
            target,
            pid: proc.pid!,
            port: entry.port,
            logs,
            stop: () => ended((proc.kill('SIGTERM'), proc), 5_000),
          });
        } catch {
          // not a JSON line
        }
      }
    });
  });
}
