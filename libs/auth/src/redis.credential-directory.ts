import { once } from 'node:events';
import { Logger, type LoggerService } from '@nestjs/common';
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { createRedisClient, type RedisTarget } from '@switchboard/redis';
import type { CredentialChange, CredentialDirectory, CredentialListener, KeyOwner } from './credential-directory';

/** Where Redis is (`url`, or `clusterNodes` for a Redis Cluster), and how the directory keeps credentials. */
export interface RedisCredentialDirectoryOptions extends RedisTarget {
  /** How long revocations (of sessions and of keys) are kept: the longest a token lives. Required. */
  retentionMs: number;
  /** Prefix of every key and of the change channel; must not contain braces. Default `sb:cred`. */
  keyPrefix?: string;
  /** Where trouble goes (warn), connection errors and dropped input (debug). Default: Nest `Logger('CredentialDirectory')`. */
  logger?: LoggerService;
  /** A malformed change arrived on the channel and was dropped (count it). */
  onDropped?(): void;
  /** A Redis connection failed (each retry while Redis is away) or a replay failed (count it). */
  onError?(error: Error): void;
}

/*
 * Keys, under one hash tag so the scripts see them in one slot:
 *   {P}:key:<sha256>   STRING  owner JSON
 *   {P}:sessions       HASH    userId → validFrom (unix seconds)
 *   {P}:revoked-keys   ZSET    key_revoked change JSON → when (ms); kept for the retention
 *   {P}:users          SET     the id of every user with a key (registered by the api)
 *   {P}:loaded         STRING  set once the api put every key in (gone with the data)
 * Changes are published on the channel `{P}:changes` as JSON CredentialChange.
 */
const PUT_KEY = `
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[4], ARGV[6])
if KEYS[2] ~= KEYS[1] and redis.call('DEL', KEYS[2]) == 1 then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. ARGV[5])
  redis.call('ZADD', KEYS[3], ARGV[4], ARGV[3])
  redis.call('PUBLISH', ARGV[2], ARGV[3])
end
return 1`;

const REVOKE = `
local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if tonumber(ARGV[2]) <= current then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1`;

/** 1: registered; 0: not, and every user is in; -1: not in, but the users may have been lost (not loaded). */
const IS_REGISTERED = `
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 1 end
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
return -1`;

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
    // Emitted on every retry while Redis is away: counted, and seen at debug (the bus warns once per outage).
    for (const client of [this.redis, this.sub]) {
      client.on('error', (err: Error) => {
        this.logger.debug?.({ msg: 'credential directory: redis error', error: err.message });
        this.options.onError?.(err);
      });
    }
    this.sub.on('message', (channel: string, text: string) => this.onMessage(channel, text));
  }

  async start(): Promise<void> {
    if (!this.replaying) {
      this.replaying = true;
      // ioredis re-subscribes after a reconnect; whatever was published meanwhile is replayed from the store.
      this.sub.on('ready', () => void this.replay());
    }
    await this.sub.subscribe(this.channel);
    // Reads and writes fail fast without a connection: start only once they can go through.
    if (this.redis.status !== 'ready') await once(this.redis, 'ready', { signal: AbortSignal.timeout(START_WAIT_MS) });
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
    const now = Date.now();
    await this.redis.eval(
      PUT_KEY,
      4,
      this.keyOf(keyHash),
      this.keyOf(replaces ?? keyHash),
      `${this.prefix}:revoked-keys`,
      `${this.prefix}:users`,
      JSON.stringify(owner),
      this.channel,
      JSON.stringify(change),
      String(now),
      String(now - this.options.retentionMs),
      owner.userId,
    );
  }

  async isRegistered(userId: string): Promise<boolean | undefined> {
    const answer = Number(await this.redis.eval(IS_REGISTERED, 2, `${this.prefix}:users`, `${this.prefix}:loaded`, userId));
    return answer === 1 ? true : answer === 0 ? false : undefined;
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
    const change = this.decode(text);
    if (change) for (const listener of this.listeners) listener(change);
  }

  /** A change as JSON, or undefined (dropped and counted) when it is malformed. */
  private decode(text: string): CredentialChange | undefined {
    let change: unknown;
    try {
      change = JSON.parse(text);
    } catch {
      change = undefined;
    }
    if (isChange(change)) return change;
    this.options.onDropped?.();
    this.logger.debug?.({ msg: 'credential directory: malformed change dropped', text: text.slice(0, 200) });
    return undefined;
  }

  /** Every revocation within the retention, sessions and keys, as the changes that announced them. */
  private async replay(): Promise<void> {
    if (!this.started) return;
    try {
      const changes: CredentialChange[] = [];
      for (const [userId, validFrom] of await this.revocations()) changes.push({ kind: 'sessions_revoked', userId, validFrom });
      const revokedKeys = await this.redis.zrangebyscore(`${this.prefix}:revoked-keys`, Date.now() - this.options.retentionMs, '+inf');
      for (const text of revokedKeys) {
        const change = this.decode(text);
        if (change) changes.push(change);
      }
      for (const change of changes) for (const listener of this.listeners) listener(change);
    } catch (err) {
      this.options.onError?.(err as Error);
      this.logger.warn({ msg: 'credential directory: revocations not reloaded after reconnect', error: (err as Error).message });
    }
  }
}

/** How long `start` waits for the command connection. */
const START_WAIT_MS = 5000;

function connect(options: RedisCredentialDirectoryOptions, base: RedisOptions): Redis | Cluster {
  return createRedisClient(options, base, { lazyConnect: base.lazyConnect, enableOfflineQueue: base.enableOfflineQueue ?? true });
}

function isChange(value: unknown): value is CredentialChange {
  const c = value as Partial<Record<string, unknown>> | null;
  if (typeof c !== 'object' || c === null || typeof c.userId !== 'string') return false;
  if (c.kind === 'sessions_revoked') return typeof c.validFrom === 'number';
  return c.kind === 'key_revoked' && typeof c.keyHash === 'string';
}
