import type { ThrottlerStorage } from '@nestjs/throttler';
import Redis from 'ioredis';
import { loadConfig } from '@switchboard/config';
import { Metrics } from '@switchboard/observability';
import { type RedisTestCluster, startRedisCluster, until } from '@switchboard/testing';
import { authThrottling } from './auth-throttling';

/** Clients other than `probe` itself connected to a server. */
async function otherClients(probe: Redis): Promise<number> {
  const list = (await probe.client('LIST')) as string;
  return list.trim().split('\n').length - 1;
}

describe('auth throttling counters in a Redis Cluster', () => {
  let cluster: RedisTestCluster;
  beforeAll(async () => {
    cluster = await startRedisCluster(3);
  }, 60_000);
  afterAll(() => cluster?.destroy());

  it('counts attempts across the cluster and closes its connections at shutdown', async () => {
    const config = loadConfig({ BUS: 'redis', REDIS_CLUSTER_NODES: cluster.nodes.join(','), JWT_SECRET: 'throttle-spec-secret-0123456789' });
    const options = authThrottling(config, new Metrics(false)) as { storage?: ThrottlerStorage & { onModuleDestroy(): void } };
    const storage = options.storage!;
    const probes = cluster.servers.map((s) => new Redis(s.url));
    try {
      expect((await storage.increment('ip:203.0.113.7', 60_000, 5, 60_000, 'ip')).totalHits).toBe(1);
      expect((await storage.increment('ip:203.0.113.7', 60_000, 5, 60_000, 'ip')).totalHits).toBe(2);
      expect((await storage.increment('name:someone', 60_000, 5, 60_000, 'username')).totalHits).toBe(1);
      const connected = (await Promise.all(probes.map(otherClients))).reduce((a, b) => a + b, 0);
      expect(connected).toBeGreaterThan(0);

      storage.onModuleDestroy();
      await until('the storage\'s Redis connections closed', 5000, async () => (await Promise.all(probes.map(otherClients))).reduce((a, b) => a + b, 0) === 0);
    } finally {
      probes.forEach((p) => p.disconnect());
    }
  }, 30_000);
});
