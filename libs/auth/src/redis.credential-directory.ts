import { Logger, type LoggerService } from '@nestjs/common';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { CredentialChange, CredentialDirectory, CredentialListener, KeyOwner } from './credential-directory';

export interface RedisCredentialDirectoryOptions {
  /** The single Redis server. Default `redis://127.0.0.1:6379`; ignored when `clusterNodes` is set. */
  url?: string;
  /** `host:port` of Redis Cluster nodes. Default: none (single server). */
  clusterNodes?: readonly string[];
  /** How long revocations are kept: the longest a token lives. Required. */
  retentionMs: number;
  /** Prefix of every key and of the change channel; must not contain braces. Default `sb:cred`. */
  keyPrefix?: string;
  /** Where trouble goes (warn) and dropped input (debug). Default: Nest `Logger('CredentialDirectory')`. */
  logger?: LoggerService;
  /** A malformed change arrived on the channel and was dropped (count it). */
  onDropped?(): void;
}

/*
 * Keys, under one hash tag so the scripts see them in one slot:
 *   {P}:key:<sha256>   STRING  owner JSON
 *   {P}:sessions       HASH    userId → validFrom (unix seconds)
 *   {P}:loaded         STRING  set once the api put every key in (gone with the data)
 * Changes are published on the channel `{P}:changes` as JSON CredentialChange.
 */
const PUT_KEY = `
redis.call('SET', KEYS[1], ARGV[1])
if KEYS[2] ~= KEYS[1] and redis.call('DEL', KEYS[2]) == 1 then
  redis.call('PUBLISH', ARGV[2], ARGV[3])
end
return 1`;

const REVOKE = `
local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if tonumber(ARGV[2]) <= current then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1`;

/** The CredentialDirectory on Redis (cluster mode); see the interface for its guarantees. */
export class RedisCredentialDirectory implements CredentialDirectory {
  private readonly redis: Redis | Cluster;
  private readonly sub: Redis | Cluster;
  private readonly prefix: string;
  private readonly channel: string;
  private readonly logger: LoggerService;
  private readonly listeners: CredentialListener[] = [];
  private started = false;
  private replaying = false;

  constructor(private readonly options: RedisCredentialDirectoryOptions) {
    this.prefix = `{${options.keyPrefix ?? 'sb:cred'}}`;
    this.channel = `${this.prefix}:changes`;
    this.logger = options.logger ?? new Logger('CredentialDirectory');
    // Reads fail fast while Redis is away (a handshake answers 503 instead of waiting).
    this.redis = connect(options, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    // The subscriber connects on its first SUBSCRIBE (start) and waits for Redis if it is away.
    this.sub = connect(options, { lazyConnect: true });
    for (const client of [this.redis, this.sub]) {
      client.on('error', (err: Error) => this.logger.warn({ msg: 'credential directory: redis error', error: err.message }));
    }
    this.sub.on('message', (channel: string, text: string) => this.onMessage(channel, text));
  }

  async start(): Promise<void> {
    if (!this.replaying) {
      this.replaying = true;
      // ioredis re-subscribes after a reconnect; whatever was published meanwhile is replayed from the hash.
      this.sub.on('ready', () => void this.replay());
    }
    await this.sub.subscribe(this.channel);
    // Reads and writes fail fast without a connection: start only once they can go through.
    await whenReady(this.redis, START_WAIT_MS);
    this.started = true;
  }

  watch(listener: CredentialListener): void {
    this.listeners.push(listener);
  }

  async findKey(keyHash: string): Promise<KeyOwner | undefined> {
    const text = await this.redis.get(this.keyOf(keyHash));
    if (text === null) return undefined;
    return JSON.parse(text) as KeyOwner;
  }

  async putKey(keyHash: string, owner: KeyOwner, replaces?: string): Promise<void> {
    const change: CredentialChange = { kind: 'key_revoked', userId: owner.userId, keyHash: replaces ?? keyHash };
    await this.redis.eval(PUT_KEY, 2, this.keyOf(keyHash), this.keyOf(replaces ?? keyHash), JSON.stringify(owner), this.channel, JSON.stringify(change));
  }

  async revokeSessions(userId: string, validFrom: number): Promise<void> {
    const change: CredentialChange = { kind: 'sessions_revoked', userId, validFrom };
    await this.redis.eval(REVOKE, 1, `${this.prefix}:sessions`, userId, String(validFrom), this.channel, JSON.stringify(change));
  }

  async markKeysLoaded(): Promise<void> {
    await this.redis.set(`${this.prefix}:loaded`, '1');
  }

  async keysLoaded(): Promise<boolean> {
    return (await this.redis.exists(`${this.prefix}:loaded`)) === 1;
  }

  async revocations(): Promise<Map<string, number>> {
    const all = await this.redis.hgetall(`${this.prefix}:sessions`);
    const oldest = (Date.now() - this.options.retentionMs) / 1000;
    const out = new Map<string, number>();
    const stale: string[] = [];
    for (const [userId, text] of Object.entries(all)) {
      const validFrom = Number(text);
      if (validFrom >= oldest) out.set(userId, validFrom);
      else stale.push(userId);
    }
    if (stale.length > 0) await this.redis.hdel(`${this.prefix}:sessions`, ...stale);
    return out;
  }

  async close(): Promise<void> {
    this.started = false;
    this.redis.disconnect();
    this.sub.disconnect();
  }

  private keyOf(keyHash: string): string {
    return `${this.prefix}:key:${keyHash}`;
  }

  private onMessage(channel: string, text: string): void {
    if (channel !== this.channel) return;
    let change: unknown;
    try {
      change = JSON.parse(text);
    } catch {
      change = undefined;
    }
    if (!isChange(change)) {
      this.options.onDropped?.();
      this.logger.debug?.({ msg: 'credential directory: malformed change dropped', text: text.slice(0, 200) });
      return;
    }
    for (const listener of this.listeners) listener(change);
  }

  private async replay(): Promise<void> {
    if (!this.started) return;
    try {
      for (const [userId, validFrom] of await this.revocations()) {
        for (const listener of this.listeners) listener({ kind: 'sessions_revoked', userId, validFrom });
      }
    } catch (err) {
      this.logger.warn({ msg: 'credential directory: revocations not reloaded after reconnect', error: (err as Error).message });
    }
  }
}

/** How long `start` waits for the command connection. */
const START_WAIT_MS = 5000;

function whenReady(conn: Redis | Cluster, ms: number): Promise<void> {
  if (conn.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      conn.off('ready', onReady);
      reject(new Error(`credential directory: Redis not ready within ${ms} ms`));
    }, ms);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    conn.once('ready', onReady);
  });
}

function connect(options: RedisCredentialDirectoryOptions, base: RedisOptions): Redis | Cluster {
  if (options.clusterNodes && options.clusterNodes.length > 0) {
    const nodes = options.clusterNodes.map((n) => {
      const [host, port] = n.split(':');
      return { host, port: Number(port) };
    });
    return new Cluster(nodes, { redisOptions: base, lazyConnect: base.lazyConnect, enableOfflineQueue: base.enableOfflineQueue ?? true });
  }
  return new Redis(options.url ?? 'redis://127.0.0.1:6379', base);
}

function isChange(value: unknown): value is CredentialChange {
  const c = value as Partial<Record<string, unknown>> | null;
  if (typeof c !== 'object' || c === null || typeof c.userId !== 'string') return false;
  if (c.kind === 'sessions_revoked') return typeof c.validFrom === 'number';
  return c.kind === 'key_revoked' && typeof c.keyHash === 'string';
}
