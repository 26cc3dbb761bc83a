import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { sleep, until } from './until';

/**
 * Real `redis-server` processes for tests: loopback only, no persistence, a temp dir each.
 * Every wait is bounded; every process is killed by `destroy()`, and by a process exit hook
 * as a last resort so a crashed test run leaves nothing behind.
 */

const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 3_000;
const CLUSTER_TIMEOUT_MS = 20_000;

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

/** `n` distinct loopback ports that were free a moment ago (all held open at once). */
export async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < n; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, HOST, () => resolve());
      });
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('no port');
      ports.push(address.port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

/** One redis-server on a fixed loopback port; it can be stopped and started again on that port. */
export class RedisServer {
  private child?: ChildProcess;

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly extraArgs: readonly string[],
  ) {}

  /** Starts a server on a free port, retrying with another port if that one was taken. */
  static async start(extraArgs: readonly string[] = []): Promise<RedisServer> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const [port] = await freePorts(1);
      const server = new RedisServer(port, mkdtempSync(join(tmpdir(), 'sb-redis-')), extraArgs);
      try {
        await server.start();
        return server;
      } catch (err) {
        lastError = err;
        await server.destroy();
      }
    }
    throw lastError;
  }

  get url(): string {
    return `redis://${HOST}:${this.port}`;
  }

  /** `host:port`, as cluster node lists spell it. */
  get address(): string {
    return `${HOST}:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Starts the process (again) and resolves once it accepts connections. */
  async start(): Promise<void> {
    if (this.child) return;
    installExitHook();
    const args = ['--port', String(this.port), '--bind', HOST, '--save', '', '--appendonly', 'no'];
    args.push('--dir', this.dir, '--logfile', '', '--daemonize', 'no', ...this.extraArgs);
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    running.add(child);
    child.once('exit', () => {
      running.delete(child);
      if (this.child === child) this.child = undefined;
    });
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`redis-server :${this.port} not ready after ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) done();
      };
      const onExit = (code: number | null) => fail(new Error(`redis-server :${this.port} exited (${code}) while starting`));
      const onError = (err: Error) => fail(err);
      const cleanup = () => {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.off('exit', onExit);
        child.off('error', onError);
        child.stdout?.resume();
      };
      const done = () => {
        cleanup();
        resolve();
      };
      const fail = (err: Error) => {
        cleanup();
        child.kill('SIGKILL');
        reject(new Error(`${err.message}\n${output.slice(-2000)}`));
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', (chunk: Buffer) => void (output += chunk.toString()));
      child.once('exit', onExit);
      child.once('error', onError);
    });
  }

  /** Stops the process (SIGTERM, SIGKILL after a bound; `crash` sends SIGKILL at once). */
  async stop(crash = false): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(crash ? 'SIGKILL' : 'SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Stops the process and removes its directory. */
  async destroy(): Promise<void> {
    await this.stop(true);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A Redis Cluster of masters only, each a RedisServer, every slot assigned. */
export interface RedisTestCluster {
  servers: RedisServer[];
  /** `host:port` of every master, for `clusterNodes` options. */
  nodes: string[];
  destroy(): Promise<void>;
}

/** Starts `masters` cluster-enabled servers, splits the 16384 slots between them and waits until every node reports `cluster_state:ok`. */
export async function startRedisCluster(masters = 3): Promise<RedisTestCluster> {
  const servers: RedisServer[] = [];
  const destroy = async () => void (await Promise.all(servers.map((s) => s.destroy())));
  try {
    const busPorts = await freePorts(masters);
    for (const busPort of busPorts) {
      const args = ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '3000'];
      servers.push(await RedisServer.start([...args, '--cluster-port', String(busPort)]));
    }
    await withClients(servers, async (clients) => {
      const per = Math.floor(16384 / masters);
      for (let i = 0; i < masters; i++) {
        const last = i === masters - 1 ? 16383 : (i + 1) * per - 1;
        await clients[i].call('CLUSTER', 'SET-CONFIG-EPOCH', String(i + 1));
        await clients[i].call('CLUSTER', 'ADDSLOTSRANGE', String(i * per), String(last));
      }
      for (let i = 1; i < masters; i++) {
        await clients[0].call('CLUSTER', 'MEET', HOST, String(servers[i].port), String(busPorts[i]));
      }
      await until('cluster_state:ok on every node', CLUSTER_TIMEOUT_MS, async () => {
        for (const c of clients) {
          const info = String(await c.call('CLUSTER', 'INFO'));
          if (!info.includes('cluster_state:ok') || !info.includes(`cluster_known_nodes:${masters}`)) return false;
          const slots = (await c.call('CLUSTER', 'SLOTS')) as unknown[];
          if (slots.length !== masters) return false;
        }
        return true;
      });
    });
    return { servers, nodes: servers.map((s) => s.address), destroy };
  } catch (err) {
    await destroy();
    throw err;
  }
}

async function withClients<T>(servers: RedisServer[], fn: (clients: Redis[]) => Promise<T>): Promise<T> {
  const clients = servers.map((s) => new Redis(s.port, HOST, { lazyConnect: true, maxRetriesPerRequest: 1 }));
  try {
    await Promise.all(clients.map((c) => c.connect()));
    return await fn(clients);
  } finally {
    clients.forEach((c) => c.disconnect());
  }
}

