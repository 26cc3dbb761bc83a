import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { type HubEvent, isKept, type StreamPosition, Topics } from '@switchboard/protocol';
import { type Bus, type BusHandler, type HistoryOptions, type HistoryRead, NO_HISTORY, type PublishOnce, type Published } from './bus';
import { MemoryHistory } from './memory-history';

/**
 * The in-process broker that memory buses of one process share; a standalone server has
 * one node on it, tests put several nodes on one broker to act as a cluster.
 */
export class MemoryBroker {
  private readonly subscribers = new Map<string, Set<MemoryBus>>();
  private readonly kept: MemoryHistory;
  /** Keys of `publishOnce` within their window: the position each got and when it is forgotten. */
  private readonly once = new Map<string, { position?: StreamPosition; until: number }>();
  private onceCalls = 0;

  constructor(history: HistoryOptions = NO_HISTORY) {
    this.kept = new MemoryHistory(history);
  }

  subscribe(topic: string, node: MemoryBus): void {
    let set = this.subscribers.get(topic);
    if (!set) this.subscribers.set(topic, (set = new Set()));
    set.add(node);
  }

  unsubscribe(topic: string, node: MemoryBus): void {
    const set = this.subscribers.get(topic);
    if (!set) return;
    set.delete(node);
    if (set.size === 0) this.subscribers.delete(topic);
  }

  publish(topic: string, event: HubEvent): number {
    return this.publishKept(topic, event)[0];
  }

  /** As Bus.publishOnce, in one synchronous step (so in one step across the nodes of this broker). */
  publishOnce(topic: string, event: HubEvent, once: PublishOnce): Published {
    const now = Date.now();
    if (++this.onceCalls % 1000 === 0) for (const [key, seen] of this.once) if (seen.until <= now) this.once.delete(key);
    const seen = this.once.get(once.key);
    if (seen !== undefined && seen.until > now) return { repeat: true, position: seen.position };
    const position = this.publishKept(topic, event)[1];
    this.once.set(once.key, { position, until: now + once.windowMs });
    return { repeat: false, position };
  }

  /** Appends a kept room event to its history, then hands it to the subscribed nodes: how many, and its position. */
  private publishKept(topic: string, event: HubEvent): [number, StreamPosition | undefined] {
    let position: StreamPosition | undefined;
    if (this.kept.enabled && isKept(event) && Topics.roomOf(topic) !== undefined) {
      event = this.kept.append(topic, event);
      position = positionOf(event);
    }
    const set = this.subscribers.get(topic);
    if (!set) return [0, position];
    for (const node of set) node.enqueue(topic, event);
    return [set.size, position];
  }

  history(topic: string, since?: StreamPosition): HistoryRead | undefined {
    return this.kept.enabled && Topics.roomOf(topic) !== undefined ? this.kept.read(topic, since) : undefined;
  }

  /** Forgets every room's history, as a Redis restarted empty would (tests). */
  loseHistory(): void {
    this.kept.clear();
  }
}

/** Bus within one process. Delivery is asynchronous (a microtask) and in order. */
export class MemoryBus implements Bus {
  readonly nodeId = randomUUID();
  private handler: BusHandler = () => undefined;
  private readonly held = new Set<string>();
  private queue: Array<[string, HubEvent]> = [];
  private scheduled = false;
  private closed = false;

  constructor(
    private readonly broker: MemoryBroker = new MemoryBroker(),
    /** Told how long each accepted publish took (as RedisBus' `metrics.onPublish`). */
    private readonly onPublish?: (latencyMs: number, topic: string) => void,
  ) {}

  setHandler(handler: BusHandler): void {
    this.handler = handler;
  }

  async publish(topic: string, event: HubEvent): Promise<number> {
    if (this.closed) throw new Error('bus closed');
    const started = performance.now();
    const receivers = this.broker.publish(topic, event);
    this.onPublish?.(performance.now() - started, topic);
    return receivers;
  }

  async publishOnce(topic: string, event: HubEvent, once: PublishOnce): Promise<Published> {
    if (this.closed) throw new Error('bus closed');
    const started = performance.now();
    const published = this.broker.publishOnce(topic, event, once);
    this.onPublish?.(performance.now() - started, topic);
    return published;
  }

  async subscribe(topics: readonly string[]): Promise<void> {
    for (const topic of topics) {
      if (this.held.has(topic)) continue;
      this.held.add(topic);
      this.broker.subscribe(topic, this);
    }
  }

  async unsubscribe(topics: readonly string[]): Promise<void> {
    for (const topic of topics) {
      if (!this.held.delete(topic)) continue;
      this.broker.unsubscribe(topic, this);
    }
  }

  topics(): ReadonlySet<string> {
    return this.held;
  }

  isReady(): boolean {
    return !this.closed;
  }

  async history(topic: string, since?: StreamPosition): Promise<HistoryRead | undefined> {
    if (this.closed) throw new Error('bus closed');
    return this.broker.history(topic, since);
  }

  async close(): Promise<void> {
    await this.unsubscribe([...this.held]);
    this.closed = true;
  }

  /** Called by the broker; batches deliveries into one microtask. */
  enqueue(topic: string, event: HubEvent): void {
    this.queue.push([topic, event]);
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    for (const [topic, event] of batch) {
      // A topic dropped after the publish no longer wants the event.
      if (this.held.has(topic)) this.handler(topic, event);
    }
  }
}

/** Where a positioned event (as the history returns it) stands. */
function positionOf(event: HubEvent): StreamPosition | undefined {
  const { offset, epoch } = event as { offset?: number; epoch?: string };
  return offset === undefined || epoch === undefined ? undefined : { offset, epoch };
}
