import { type AppProcess, startAppProcess } from './gateway-process';
import { RedisServer } from './redis-server';
import { rest } from './rest';

/** The processes a describe's tests run against: a real Redis, the api, and gateway processes on it. */
export interface ProcessCluster {
  redis: RedisServer;
  api: AppProcess;
  gws: AppProcess[];
  /** REST calls to the api. */
  call: ReturnType<typeof rest>;
}

/**
 * Inside a describe: starts a Redis, the api (memory store) and `gateways` gateway processes on
 * it before the tests (`env` for all of them), and kills them after. The returned object is
 * filled in once they are up.
 */
export function processCluster(gateways: number, env: Record<string, string>): ProcessCluster {
  const cluster = {} as ProcessCluster;
  beforeAll(async () => {
    cluster.redis = await RedisServer.start();
    const shared = { BUS: 'redis', REDIS_URL: cluster.redis.url, WEBSOCKET_CONNECT_BURST: '1000', ...env };
    const gws = Array.from({ length: gateways }, () => startAppProcess('gateway', shared, 30000));
    [cluster.api, ...cluster.gws] = await Promise.all([startAppProcess('api', { ...shared, DATA_DIR: 'memory://' }), ...gws]);
    cluster.call = rest(cluster.api.http);
  }, 90000);
  afterAll(async () => {
    await Promise.all([cluster.api, ...(cluster.gws ?? [])].map((p) => p?.stop('SIGKILL')));
    await cluster.redis?.destroy();
  });
  return cluster;
}
