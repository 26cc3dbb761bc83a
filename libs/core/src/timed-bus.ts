import type { Bus, BusHandler, HistoryRead } from '../../bus/src/bus';
import type { Metrics } from '../../observability/src';
import type { HubEvent, StreamPosition } from '../../protocol/src';

/**
 * A Bus that measures how long each accepted `publish` took (`switchboard_bus_publish_seconds`:
 * a Redis round trip in a cluster), whichever implementation it wraps. Everything else is
 * passed through unchanged, so the Bus guarantees are the wrapped bus's.
 */
export class TimedBus implements Bus {
  constructor(
    private readonly inner: Bus,
    private readonly metrics: Metrics,
  ) {}

  get nodeId(): string {
    return this.inner.nodeId;
  }

  setHandler(handler: BusHandler): void {
    this.inner.setHandler(handler);
  }

  async publish(topic: string, event: HubEvent): Promise<number> {
    const start = process.hrtime.bigint();
    const nodes = await this.inner.publish(topic, event);
    this.metrics.busPublishLatency.observe(Number(process.hrtime.bigint() - start) / 1e9);
    return nodes;
  }

  subscribe(topics: readonly string[]): Promise<void> {
    return this.inner.subscribe(topics);
  }

  unsubscribe(topics: readonly string[]): Promise<void> {
    return this.inner.unsubscribe(topics);
  }

  topics(): ReadonlySet<string> {
    return this.inner.topics();
  }

  listeners(topic: string): Promise<number> {
    return this.inner.listeners(topic);
  }

  isReady(): boolean {
    return this.inner.isReady();
  }

  history(topic: string, since?: StreamPosition): Promise<HistoryRead | undefined> {
    return this.inner.history(topic, since);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
