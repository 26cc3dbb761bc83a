import type { Bus } from '@switchboard/bus';

interface Waiter {
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * Keeps the bus subscribed to exactly the topics this replica has local interest in.
 * Requests made in the same event-loop turn go to the bus as one batch (a reconnect storm
 * of joins becomes a few pipelined SUBSCRIBEs), and batches run one at a time, so a
 * subscribe and an unsubscribe of one topic can never overtake each other.
 */
export class TopicSubscriptions {
  private readonly toSubscribe = new Map<string, Waiter[]>();
  private readonly toUnsubscribe = new Set<string>();
  private readonly unsubscribing = new Set<string>();
  private scheduled = false;
  private running = false;

  constructor(
    private readonly bus: Bus,
    /** Whether the replica still wants a topic when its unsubscribe batch runs. */
    private readonly wanted: (topic: string) => boolean,
    /** Told the number of topics held after every batch (metrics). */
    private readonly onChange: (held: number) => void = () => undefined,
    /** Told when an unsubscribe batch failed (the bus re-subscribes held topics on reconnect; a later drop retries). */
    private readonly onUnsubscribeError: (err: unknown, topics: readonly string[]) => void = () => undefined,
  ) {}

  /** Resolves once the topic is live on the bus. */
  want(topic: string): Promise<void> {
    this.toUnsubscribe.delete(topic);
    if (this.bus.topics().has(topic) && !this.unsubscribing.has(topic) && !this.toSubscribe.has(topic)) {
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiters = this.toSubscribe.get(topic);
      if (waiters) waiters.push({ resolve, reject });
      else this.toSubscribe.set(topic, [{ resolve, reject }]);
      this.schedule();
    });
  }

  /** Unsubscribes later unless the topic is wanted again by then. */
  drop(topic: string): void {
    this.toUnsubscribe.add(topic);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    setImmediate(() => void this.runBatches());
  }

  private async runBatches(): Promise<void> {
    this.scheduled = false;
    this.running = true;
    try {
      while (this.toSubscribe.size > 0 || this.toUnsubscribe.size > 0) {
        const subs = new Map(this.toSubscribe);
        this.toSubscribe.clear();
        const unsubs = [...this.toUnsubscribe].filter((t) => !this.wanted(t) && this.bus.topics().has(t));
        this.toUnsubscribe.clear();
        await this.runSubscribe(subs);
        if (unsubs.length > 0) {
          for (const t of unsubs) this.unsubscribing.add(t);
          try {
            await this.bus.unsubscribe(unsubs);
          } catch (err) {
            this.onUnsubscribeError(err, unsubs);
          } finally {
            for (const t of unsubs) this.unsubscribing.delete(t);
          }
        }
      }
    } finally {
      this.running = false;
      this.onChange(this.bus.topics().size);
    }
  }

  private async runSubscribe(subs: Map<string, Waiter[]>): Promise<void> {
    if (subs.size === 0) return;
    const topics = [...subs.keys()].filter((t) => !this.bus.topics().has(t));
    try {
      if (topics.length > 0) await this.bus.subscribe(topics);
      for (const waiters of subs.values()) for (const w of waiters) w.resolve();
    } catch (err) {
      for (const waiters of subs.values()) for (const w of waiters) w.reject(err);
    }
  }
}
