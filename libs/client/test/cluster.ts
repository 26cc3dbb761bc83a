import { type AppProcess, redisGatewayEnv, RedisServer, signToken, startAppProcess, TEST_SECRET } from '@switchboard/testing';

export { TEST_SECRET } from '@switchboard/testing';
export { until } from '@switchboard/testing';

/** A token for user `sub`, signed with the cluster's secret. */
export const token = (sub: string) => signToken({ sub, username: sub });

/** A real Redis and gateway processes on it, started from dist/ (npm run build first). */
export class TestCluster {
  readonly gateways: AppProcess[] = [];

  private constructor(
    readonly redis: RedisServer,
    private readonly extra: Record<string, string>,
  ) {}

  static async start(replicas: number, extra: Record<string, string> = {}): Promise<TestCluster> {
    const cluster = new TestCluster(await RedisServer.start(), extra);
    await Promise.all(Array.from({ length: replicas }, () => cluster.add()));
    return cluster;
  }

  env(): Record<string, string> {
    return redisGatewayEnv(this.redis.url, TEST_SECRET, { WEBSOCKET_DRAIN_TIMEOUT: '200ms', ...this.extra });
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
