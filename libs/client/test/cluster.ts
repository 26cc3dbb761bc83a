import { createHmac } from 'node:crypto';
import { type AppProcess, startAppProcess } from '../../testing/gateway-process';
import { RedisServer } from '../../testing/redis-server';

export const TEST_SECRET = 'test-secret-0123456789abcdef';

/** Signs an HS256 JWT by hand, so tests do not trust the code they test. */
export function token(sub: string, secret = TEST_SECRET): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const head = enc({ alg: 'HS256', typ: 'JWT' });
  const body = enc({ sub, username: sub, iat: now, exp: now + 3600 });
  return `${head}.${body}.${createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url')}`;
}

/** A real Redis and gateway processes on it, started from dist/ (npm run build first). */
export class TestCluster {
  readonly gateways: AppProcess[] = [];

  private constructor(readonly redis: RedisServer) {}

  static async start(replicas: number): Promise<TestCluster> {
    const cluster = new TestCluster(await RedisServer.start());
    await Promise.all(Array.from({ length: replicas }, () => cluster.add()));
    return cluster;
  }

  env(): Record<string, string> {
    return {
      BUS: 'redis',
      REDIS_URL: this.redis.url,
      JWT_SECRET: TEST_SECRET,
      WEBSOCKET_HEARTBEAT_INTERVAL: '250ms',
      WEBSOCKET_CONNECTION_TIMEOUT: '1500ms',
      WEBSOCKET_CONNECT_BURST: '1000',
      WEBSOCKET_DRAIN_TIMEOUT: '200ms',
    };
  }

  async add(): Promise<AppProcess> {
    const gw = await startAppProcess('gateway', this.env());
    this.gateways.push(gw);
    return gw;
  }

  signaling(i: number): string {
    return `${this.gateways[i].url}/signaling`;
  }

  async stop(): Promise<void> {
    await Promise.all(this.gateways.map((g) => g.stop('SIGKILL')));
    await this.redis.destroy();
  }
}

export async function until<T>(what: string, check: () => T | undefined | false, ms = 20000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
