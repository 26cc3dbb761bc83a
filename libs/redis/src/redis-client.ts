import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';

/** Where Redis is: one server, or the nodes of a Redis Cluster. */
export interface RedisTarget {
  /** The single Redis server. Default `redis://127.0.0.1:6379`; ignored when `clusterNodes` is set. */
  url?: string;
  /** `host:port` of one or more Redis Cluster nodes: a cluster client. Default: none (single server). */
  clusterNodes?: readonly string[];
}

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** The target the configuration names: REDIS_CLUSTER_NODES when set, else REDIS_URL. */
export function redisTarget(bus: { redisUrl: string; clusterNodes: readonly string[] }): RedisTarget {
  return bus.clusterNodes.length > 0 ? { url: bus.redisUrl, clusterNodes: bus.clusterNodes } : { url: bus.redisUrl };
}

/** Reconnects after 100 ms, 200 ms, … then every second, for as long as Redis is away. */
export function retryStrategy(times: number): number {
  return Math.min(times * 100, 1000);
}

/**
 * The one way Switchboard makes a Redis client: a Cluster client when `target` names cluster
 * nodes, else a connection to its URL. Every connection reconnects with `retryStrategy`;
 * `options` apply to each connection, `cluster` to the cluster client itself.
 */
export function createRedisClient(target: RedisTarget, options: RedisOptions = {}, cluster: Omit<ClusterOptions, 'redisOptions'> = {}): Redis | Cluster {
  if (target.clusterNodes && target.clusterNodes.length > 0) {
    const { scripts, ...redisOptions } = options;
    return new Cluster(target.clusterNodes.map(parseNode), {
      clusterRetryStrategy: retryStrategy,
      ...(scripts === undefined ? {} : { scripts }),
      ...cluster,
      redisOptions: { retryStrategy, ...redisOptions },
    });
  }
  return new Redis(target.url ?? DEFAULT_REDIS_URL, { retryStrategy, ...options });
}

/** A connection to one node (`host:port`) of a cluster, as the sharded subscribers need. */
export function createRedisNode(node: string, options: RedisOptions = {}): Redis {
  return new Redis({ ...parseNode(node), retryStrategy, ...options });
}

/** `host:port` (the port after the last colon, so IPv6 hosts keep theirs) as ioredis takes a node. */
export function parseNode(node: string): { host: string; port: number } {
  const at = node.lastIndexOf(':');
  return { host: node.slice(0, at), port: Number(node.slice(at + 1)) };
}
