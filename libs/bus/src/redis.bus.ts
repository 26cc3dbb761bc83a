import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Logger, type LoggerService } from '@nestjs/common';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { createRedisClient, createRedisNode, keySlot, type RedisTarget } from '@switchboard/redis';
import { isHubEvent, isKept, type HubEvent, type StreamPosition } from '@switchboard/protocol';
import { type Bus, type BusHandler, type HistoryOptions, type HistoryRead, NO_HISTORY, type PublishOnce, type Published, PublishUnconfirmed } from './bus';
import { RedisHistory } from './redis-history';

/** Why input from the wire was dropped. */
export type BusDropReason = 'bad-json' | 'bad-envelope' | 'bad-event';

/** Metric hooks; each is optional and must not throw. */
export interface RedisBusMetrics {
  /** Redis accepted a publish of `bytes` (encoded) to `topic`, `latencyMs` after `publish` was called. */
  onPublish?(latencyMs: number, topic: string, bytes: number): void;
  /** An event of `bytes` reached the handler `latencyMs` after it was published (publisher's clock). */
  onDeliver?(latencyMs: number, topic: string, bytes: number): void;
  /** Input from the wire was dropped. */
  onDropped?(reason: BusDropReason): void;
  /** A connection reported an error, or the handler threw. Connections recover by themselves. */
  onError?(error: Error): void;
}

/** Where Redis is (`url`, or `clusterNodes`: a Redis Cluster, with sharded pub/sub), and how the bus uses it. */
export interface RedisBusOptions extends RedisTarget {
  /** How long publish/subscribe wait for a (re)connecting Redis before they reject. Default 1000 ms. */
  connectWaitMs?: number;
  /** How long a command waits for Redis's reply before it rejects. Default 2000 ms. */
  commandTimeoutMs?: number;
  /** Where connection trouble (warn) and dropped input (debug) go. Default: Nest `Logger('RedisBus')`. */
  logger?: LoggerService;
  /** Default: none. */
  metrics?: RedisBusMetrics;
  /** Room history kept in Redis streams. Default: off. */
  history?: HistoryOptions;
  /** The publishing connection sends the commands of one event-loop turn in one write (ioredis auto-pipelining). Default true. */
  autoPipelining?: boolean;
}

/**
 * What crosses Redis, as JSON encoded once per publish: publishing node, its clock (ms), the
 * event; a kept room publication also carries its offset and epoch, set by Redis.
 */
interface Envelope {
  o?: number;
  p?: string;
  n: string;
  t: number;
  e: HubEvent;
}

/** A subscriber connection: the only one on a single server, one per master in a cluster. */
interface Shard {
  readonly key: string;
  readonly conn: Redis;
  /** Every topic routed here is subscribed on the current connection. */
  live: boolean;
  /** Bumped on every (re)subscription and loss, so a stale resubscription cannot mark it live. */
  epoch: number;
  retry?: NodeJS.Timeout;
}

const RESUBSCRIBE_RETRY_MS = 1000;
const QUIT_WAIT_MS = 1000;
/** Keeps one (re)subscription command to a sane size. */
const TOPICS_PER_COMMAND = 1000;

/**
 * The bus on Redis pub/sub (PUBLISH/SUBSCRIBE), or on a Redis Cluster with sharded pub/sub
 * (SPUBLISH/SSUBSCRIBE): there every topic lives on the master that owns its slot, and the
 * bus keeps one subscriber connection per master. Publishing uses its own connection.
 *
 * Connections retry forever (100 ms steps up to 1 s). ioredis' own resubscription is off: the
 * bus resubscribes on every `ready` and counts a connection live only once Redis confirmed it.
 * Nothing is queued while Redis is away: a publish waits at most `connectWaitMs` for it, and a
 * publish in flight when a connection drops rejects rather than being replayed later.
 *
 * Limitation: when a slot migrates between live masters, Redis pushes an unrequested
 * SUNSUBSCRIBE that ioredis 5 does not expect; topics are re-routed on the next slot refresh.
 */
export class RedisBus implements Bus {
  readonly nodeId = randomUUID();
  private handler: BusHandler = () => undefined;
  private readonly held = new Set<string>();
  /** Subscriptions sent and not yet confirmed: a second subscribe to one waits for it. */
  private readonly pending = new Map<string, Promise<void>>();
  private readonly route = new Map<string, Shard>();
  private readonly shards = new Map<string, Shard>();
  private readonly readyWaits = new WeakMap<Redis | Cluster, Promise<void>>();
  private readonly pub: Redis | Cluster;
  private readonly cluster?: Cluster;
  private readonly single?: Shard;
  private readonly log: LoggerService;
  private readonly metrics: RedisBusMetrics;
  private readonly connectWaitMs: number;
  private readonly commandTimeoutMs: number;
  private readonly autoPipelining: boolean;
  private readonly historian: RedisHistory;
  private closed = false;

  constructor(options: RedisBusOptions = {}) {
    this.log = options.logger ?? new Logger('RedisBus');
    this.metrics = options.metrics ?? {};
    this.connectWaitMs = options.connectWaitMs ?? 1000;
    this.commandTimeoutMs = options.commandTimeoutMs ?? 2000;
    this.autoPipelining = options.autoPipelining ?? true;
    if (options.clusterNodes?.length) {
      this.cluster = createRedisClient(options, this.connectionOptions('pub'), { enableOfflineQueue: false, enableAutoPipelining: this.autoPipelining }) as Cluster;
      this.cluster.on('refresh', () => this.onTopology());
      this.cluster.on('node error', (err: Error) => this.onConnectionError('cluster node', err));
      this.pub = this.cluster;
    } else {
      this.pub = createRedisClient(options, this.connectionOptions('pub'));
      this.single = this.addShard('single', createRedisClient(options, this.connectionOptions('sub')) as Redis);
    }
    this.watch(this.pub, 'bus publisher');
    this.historian = new RedisHistory(options.history ?? NO_HISTORY, this.pub, this.cluster ? 'SPUBLISH' : 'PUBLISH');
  }

  setHandler(handler: BusHandler): void {
    this.handler = handler;
  }

  async publish(topic: string, event: HubEvent): Promise<number> {
    if (this.closed) throw new Error('bus closed');
    const envelope: Envelope = { n: this.nodeId, t: Date.now(), e: event };
    const payload = JSON.stringify(envelope);
    const started = performance.now();
    if (this.pub.status !== 'ready') await this.whenReady(this.pub, 'bus publisher');
    let receivers: unknown;
    if (this.historian.keeps(topic, isKept(event))) {
      if (this.cluster) await this.slotReady(this.cluster, topic);
      receivers = await this.confirmed(this.historian.publish(topic, payload), 'history publish');
    } else {
      receivers = this.cluster ? await this.spublish(this.cluster, topic, payload) : await this.confirmed(this.pub.publish(topic, payload), 'PUBLISH');
    }
    this.metrics.onPublish?.(performance.now() - started, topic, Buffer.byteLength(payload));
    return Number(receivers);
  }

  async publishOnce(topic: string, event: HubEvent, once: PublishOnce): Promise<Published> {
    if (this.closed) throw new Error('bus closed');
    const payload = JSON.stringify({ n: this.nodeId, t: Date.now(), e: event } satisfies Envelope);
    const started = performance.now();
    if (this.pub.status !== 'ready') await this.whenReady(this.pub, 'bus publisher');
    if (this.cluster) await this.slotReady(this.cluster, topic);
    const published = await this.confirmed(this.historian.publishOnce(topic, payload, isKept(event), once), 'publish once');
    this.metrics.onPublish?.(performance.now() - started, topic, Buffer.byteLength(payload));
    return published;
  }

  async subscribe(topics: readonly string[]): Promise<void> {
    if (this.closed) throw new Error('bus closed');
    const fresh = [...new Set(topics)].filter((t) => !this.held.has(t));
    const waits = topics.map((t) => this.pending.get(t)).filter((p) => p !== undefined);
    if (fresh.length > 0) {
      for (const t of fresh) this.held.add(t);
      const sent = this.subscribeFresh(fresh);
      for (const t of fresh) this.pending.set(t, sent);
      try {
        await sent;
      } catch (err) {
        // Not live: the topics are not held, and any half of the batch that got through is undone.
        await this.unsubscribe(fresh.filter((t) => this.pending.get(t) === sent));
        throw err;
      } finally {
        for (const t of fresh) if (this.pending.get(t) === sent) this.pending.delete(t);
      }
    }
    await Promise.all(waits);
  }

  /** Never rejects: a topic no longer held is not delivered even if Redis still sends it. */
  async unsubscribe(topics: readonly string[]): Promise<void> {
    const byShard = new Map<Shard, string[]>();
    for (const t of new Set(topics)) {
      if (!this.held.delete(t)) continue;
      this.pending.delete(t);
      const shard = this.route.get(t);
      this.route.delete(t);
      if (shard?.conn.status === 'ready') push(byShard, shard, t);
    }
    await Promise.all(
      [...byShard].map(([shard, ts]) =>
        this.send(shard, ts, false).catch((err: Error) => this.log.debug?.(`unsubscribe on ${shard.key} failed: ${err.message}`)),
      ),
    );
  }

  topics(): ReadonlySet<string> {
    return this.held;
  }

  isReady(): boolean {
    if (this.closed || !usable(this.pub) || this.shards.size === 0) return false;
    for (const shard of this.shards.values()) if (!shard.live || !usable(shard.conn)) return false;
    return true;
  }

  async history(topic: string, since?: StreamPosition): Promise<HistoryRead | undefined> {
    if (this.closed) throw new Error('bus closed');
    if (!this.historian.keeps(topic, true)) return undefined;
    if (this.pub.status !== 'ready') await this.whenReady(this.pub, 'bus publisher');
    if (this.cluster) await this.slotReady(this.cluster, topic);
    const read = this.historian.read(topic, since, (payload) => this.parse(payload));
    return bounded(read, this.commandTimeoutMs, 'history read timed out');
  }

  /** Resolves once `isReady()`; rejects after `timeoutMs`. For start-up and tests. */
  async ready(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.isReady()) {
      if (this.closed || Date.now() > deadline) throw new Error(`bus not ready after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const shard of this.shards.values()) clearTimeout(shard.retry);
    await Promise.all([this.pub, ...[...this.shards.values()].map((s) => s.conn)].map(quit));
  }

  /**
   * ioredis writes SPUBLISH to a cluster node that is still connecting (it is allowed while
   * Redis loads) but queues the ones sent before its socket existed: order would break. So
   * publishes wait, in order, until the node of their slot is ready.
   */
  private async spublish(cluster: Cluster, topic: string, payload: string): Promise<unknown> {
    await this.slotReady(cluster, topic);
    return this.confirmed(cluster.spublish(topic, payload), 'SPUBLISH');
  }

  /**
   * A publish that was written to Redis: one with no answer within the command timeout
   * (ours, or ioredis' own) rejects with `PublishUnconfirmed`, since Redis may still run it.
   */
  private confirmed<T>(sent: Promise<T>, what: string): Promise<T> {
    return bounded(sent, this.commandTimeoutMs, `${what} timed out`).catch((err: unknown) => {
      if (err instanceof Error && /timed out/i.test(err.message)) throw new PublishUnconfirmed(`${what}: no answer within ${this.commandTimeoutMs} ms; it may have been published`);
      throw err;
    });
  }

  /** Waits until the cluster node serving the slot of `topic` (and its history keys) is ready. */
  private async slotReady(cluster: Cluster, topic: string): Promise<void> {
    const key = cluster.slots[keySlot(topic)]?.[0];
    const node = cluster.nodes('all').find((n) => `${n.options.host}:${n.options.port}` === key);
    if (node && node.status !== 'ready') {
      if (node.status === 'wait') node.connect().catch(() => undefined);
      await this.whenReady(node, `cluster node ${key}`);
    }
  }

  private connectionOptions(role: 'pub' | 'sub'): RedisOptions {
    return {
      connectionName: `sb-bus-${role}-${this.nodeId}`,
      // Nothing waits unbounded: no offline queue, in-flight commands fail when a connection drops
      // and are never replayed (a publish the caller saw fail must not arrive later).
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      commandTimeout: this.commandTimeoutMs,
      autoResubscribe: false,
      // A connection closed while Redis is away would otherwise hold a 2 s timer on close().
      disconnectTimeout: 500,
      // Commands issued in one event-loop turn (a burst of publishes, history writes) leave in one write.
      enableAutoPipelining: role === 'pub' && this.autoPipelining,
    };
  }

  private addShard(key: string, conn: Redis): Shard {
    const shard: Shard = { key, conn, live: false, epoch: 0 };
    this.shards.set(key, shard);
    conn.on(this.cluster ? 'smessage' : 'message', (topic: string, payload: string) => this.deliver(topic, payload));
    conn.on('ready', () => this.resubscribe(shard));
    conn.on('close', () => {
      shard.live = false;
      shard.epoch++;
      clearTimeout(shard.retry);
    });
    this.watch(conn, `bus subscriber ${key}`);
    return shard;
  }

  /** Subscribes every topic routed to `shard`; the shard is live once Redis confirmed them all. */
  private resubscribe(shard: Shard): void {
    if (this.closed || shard.conn.status !== 'ready') return;
    const epoch = ++shard.epoch;
    shard.live = false;
    clearTimeout(shard.retry);
    const topics = [...this.route].filter(([, s]) => s === shard).map(([t]) => t);
    this.send(shard, topics, true).then(
      () => {
        if (shard.epoch === epoch && !this.closed) shard.live = true;
      },
      (err: Error) => {
        if (shard.epoch !== epoch || this.closed) return;
        this.log.warn(`bus subscriber ${shard.key}: resubscribing ${topics.length} topics failed (${err.message}); retrying`);
        shard.retry = setTimeout(() => this.resubscribe(shard), RESUBSCRIBE_RETRY_MS);
      },
    );
  }

  private async subscribeFresh(topics: string[]): Promise<void> {
    if (this.cluster && this.cluster.status !== 'ready') await this.whenReady(this.cluster, 'bus cluster');
    const byShard = new Map<Shard, string[]>();
    for (const t of topics) {
      const shard = this.single ?? this.ownerOf(t);
      if (!shard) throw new Error(`no cluster node serves the slot of ${t}`);
      this.route.set(t, shard);
      push(byShard, shard, t);
    }
    await Promise.all([...byShard].map(([shard, ts]) => this.send(shard, ts, true)));
  }

  /** One SUBSCRIBE per thousand topics; in a cluster one SSUBSCRIBE per slot; all pipelined. */
  private async send(shard: Shard, topics: readonly string[], on: boolean): Promise<void> {
    if (topics.length === 0) return;
    const conn = shard.conn;
    if (conn.status !== 'ready') await this.whenReady(conn, `bus subscriber ${shard.key}`);
    const batches = new Map<number, string[]>();
    topics.forEach((t, i) => push(batches, this.cluster ? keySlot(t) : Math.floor(i / TOPICS_PER_COMMAND), t));
    const verb = this.cluster ? (on ? 'ssubscribe' : 'sunsubscribe') : on ? 'subscribe' : 'unsubscribe';
    await Promise.all([...batches.values()].map((ts) => conn.call(verb, ...ts)));
  }

  private ownerOf(topic: string): Shard | undefined {
    const key = this.cluster?.slots[keySlot(topic)]?.[0];
    return key === undefined ? undefined : (this.shards.get(key) ?? this.addShard(key, createRedisNode(key, this.connectionOptions('sub'))));
  }

  /** The cluster's slot map changed or was refreshed: one subscriber per master, topics on their slot's master. */
  private onTopology(): void {
    if (this.closed || !this.cluster) return;
    const masters = new Set<string>();
    for (const owners of this.cluster.slots) if (owners?.[0]) masters.add(owners[0]);
    for (const key of masters) if (!this.shards.has(key)) this.addShard(key, createRedisNode(key, this.connectionOptions('sub')));
    const moved = new Set<Shard>();
    for (const t of this.held) {
      const to = this.ownerOf(t);
      if (!to || to === this.route.get(t)) continue;
      this.route.set(t, to);
      moved.add(to);
    }
    for (const shard of moved) this.resubscribe(shard);
    const inUse = new Set(this.route.values());
    for (const [key, shard] of this.shards) {
      if (masters.has(key) || inUse.has(shard)) continue;
      this.shards.delete(key);
      clearTimeout(shard.retry);
      shard.conn.disconnect();
    }
  }

  private deliver(topic: string, payload: string): void {
    if (this.closed || !this.held.has(topic)) return;
    try {
      let envelope: unknown;
      try {
        envelope = JSON.parse(payload);
      } catch {
        return this.drop('bad-json', topic, payload);
      }
      if (!isEnvelope(envelope)) return this.drop('bad-envelope', topic, payload);
      if (!isHubEvent(envelope.e)) return this.drop('bad-event', topic, payload);
      this.metrics.onDeliver?.(Date.now() - envelope.t, topic, Buffer.byteLength(payload));
      this.handler(topic, positioned(envelope));
    } catch (err) {
      // Thrown inside ioredis' reply parser it would break the connection: report it here instead.
      this.log.error(`bus handler failed on ${topic}: ${(err as Error).stack ?? err}`);
      this.metrics.onError?.(err as Error);
    }
  }

  /** A history entry back into its event; undefined (counted, logged) when it is not one. */
  private parse(payload: string): HubEvent | undefined {
    let envelope: unknown;
    try {
      envelope = JSON.parse(payload);
    } catch {
      return void this.drop('bad-json', 'history', payload);
    }
    if (!isEnvelope(envelope) || !isHubEvent(envelope.e)) return void this.drop('bad-event', 'history', payload);
    return positioned(envelope);
  }

  private drop(reason: BusDropReason, topic: string, payload: string): void {
    this.metrics.onDropped?.(reason);
    this.log.debug?.(`dropped bus input on ${topic} (${reason}): ${payload.slice(0, 200)}`);
  }

  /** One promise per outage per connection, so waiters resume in the order they came. */
  private whenReady(conn: Redis | Cluster, name: string): Promise<void> {
    if (conn.status === 'end' || this.closed) return Promise.reject(new Error(`${name} closed`));
    let wait = this.readyWaits.get(conn);
    if (!wait) {
      wait = new Promise<void>((resolve) => conn.once('ready', () => resolve()));
      this.readyWaits.set(conn, wait);
      void wait.then(() => this.readyWaits.delete(conn));
    }
    return bounded(wait, this.connectWaitMs, `${name} not connected (${conn.status})`);
  }

  /** Connection trouble an operator must see: a warning when lost, a line when back. */
  private watch(conn: Redis | Cluster, name: string): void {
    let lost = false;
    conn.on('ready', () => {
      if (lost) this.log.log(`${name} reconnected`);
      lost = false;
    });
    conn.on('close', () => {
      if (lost || this.closed) return;
      lost = true;
      this.log.warn(`${name} lost its Redis connection; reconnecting`);
    });
    conn.on('error', (err: Error) => this.onConnectionError(name, err));
  }

  private onConnectionError(name: string, err: Error): void {
    this.log.debug?.(`${name}: ${err.message}`);
    this.metrics.onError?.(err);
  }
}

function isEnvelope(value: unknown): value is Envelope {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<Envelope>;
  if (v.o !== undefined && (!Number.isSafeInteger(v.o) || typeof v.p !== 'string')) return false;
  return typeof v.n === 'string' && typeof v.t === 'number' && v.e !== undefined;
}

/** The envelope's event, carrying the position Redis gave it (the event was parsed fresh: ours to set). */
function positioned(envelope: Envelope): HubEvent {
  const event = envelope.e as HubEvent & { offset?: number; epoch?: string };
  if (envelope.o !== undefined) {
    event.offset = envelope.o;
    event.epoch = envelope.p;
  }
  return event;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function bounded<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function quit(conn: Redis | Cluster): Promise<void> {
  if (conn.status !== 'ready') return conn.disconnect();
  await bounded(conn.quit(), QUIT_WAIT_MS, 'QUIT').catch(() => conn.disconnect());
}

/**
 * Ready, and its socket still writable: when Redis goes away the socket ends a turn or more
 * before ioredis leaves 'ready', and a command sent in between fails with "Stream isn't
 * writeable" although the status said ready.
 */
function usable(conn: Redis | Cluster): boolean {
  return conn.status === 'ready' && (!(conn instanceof Redis) || conn.stream?.writable !== false);
}
