import { Logger, type LoggerService } from '@nestjs/common';
import type { OutboxRow, OutboxStore } from './outbox.store';

/** Options of the OutboxRelay; every field has a default. */
export interface OutboxRelayOptions {
  /** How often to look for rows nobody kicked for (other processes, a crash), in ms. Default 1000. */
  intervalMs?: number;
  /** Rows per take (one transaction). Default 100. */
  batchSize?: number;
  /** A publish not settled after this long counts as failed, in ms. Default 5000. */
  publishTimeoutMs?: number;
  /** First retry delay after a failure, doubled per failure up to `maxBackoffMs`. Default 100. */
  minBackoffMs?: number;
  /** Default 2000. */
  maxBackoffMs?: number;
  /** Default: Nest's Logger. */
  logger?: Pick<LoggerService, 'log' | 'error' | 'debug'>;
  /**
   * Whether the bus can take publishes now. While it cannot, the relay waits (looking again
   * every `minBackoffMs`) without touching the outbox: no transaction, no attempt counted,
   * nothing logged above debug. Default: always.
   */
  ready?: () => boolean;
}

/** What the health check shows. */
export interface RelayHealth {
  /** False while publishing fails (waiting for the bus is not failing). */
  ok: boolean;
  /** True while the bus is not ready and rows wait for it. */
  waiting?: boolean;
  consecutiveFailures: number;
  failingSince?: Date;
  lastError?: string;
}

/**
 * Moves outbox rows onto the bus. Call `start()` once, `kick()` after every commit that
 * wrote an event, `stop()` at shutdown.
 *
 * - Never loses a row: rows are deleted by the store only after `publish` resolved.
 * - While the bus says it is not ready, it waits: it does not open a transaction, count an
 *   attempt or log an error, and looks again every `minBackoffMs`.
 * - While publishing fails it retries the oldest row with backoff (100 ms doubling to
 *   2 s), and kicks wait for that timer instead of hammering a bus that is down. The first
 *   failure is logged at error with the row, recovery at info, and `health()` shows it.
 * - A publish slower than `publishTimeoutMs` counts as failed; since it may still land,
 *   the row is published again, and `publish` must recognise the repeat (OutboxPublisher
 *   publishes once per event within the dedup window); otherwise it is at least once.
 * - Runs one drain at a time in this process; the store keeps processes apart.
 */
export class OutboxRelay {
  private readonly intervalMs: number;
  private readonly batchSize: number;
  private readonly publishTimeoutMs: number;
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly logger: Pick<LoggerService, 'log' | 'error' | 'debug'>;
  private readonly ready: () => boolean;
  private waiting = false;
  private running = false;
  private draining?: Promise<void>;
  private again = false;
  private busy = false;
  private timer?: NodeJS.Timeout;
  private failures = 0;
  private failingSince?: Date;
  private lastError?: string;

  constructor(
    private readonly store: OutboxStore,
    private readonly publish: (topic: string, payload: unknown) => Promise<unknown>,
    options: OutboxRelayOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 1000;
    this.batchSize = options.batchSize ?? 100;
    this.publishTimeoutMs = options.publishTimeoutMs ?? 5000;
    this.minBackoffMs = options.minBackoffMs ?? 100;
    this.maxBackoffMs = options.maxBackoffMs ?? 2000;
    this.logger = options.logger ?? new Logger(OutboxRelay.name);
    this.ready = options.ready ?? (() => true);
  }

  /** Starts draining now and then every `intervalMs`. Idempotent. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.trigger();
  }

  /** Drains now, or right after the drain under way; ignored while backing off or stopped. */
  kick(): void {
    if (!this.running || this.failures > 0) return;
    this.trigger();
  }

  /** Stops the timer and waits for the batch under way (bounded by `publishTimeoutMs` per row). */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.draining;
  }

  health(): RelayHealth {
    return {
      ok: this.failures === 0,
      ...(this.waiting && { waiting: true }),
      consecutiveFailures: this.failures,
      failingSince: this.failingSince,
      lastError: this.lastError,
    };
  }

  private trigger(): void {
    if (this.draining) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.draining = this.loop();
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.again = false;
        await this.drain();
      } while (this.again && this.running && this.failures === 0);
    } finally {
      this.draining = undefined;
      if (this.running) {
        this.timer = setTimeout(() => this.trigger(), this.nextDelay());
        this.timer.unref();
      }
    }
  }

  /** Takes batches until the outbox is empty, a publish fails, or another drain holds it. */
  private async drain(): Promise<void> {
    for (;;) {
      if (!this.isReady()) return;
      let result;
      try {
        result = await this.store.take(this.batchSize, (row) => this.publishOne(row));
      } catch (err) {
        this.failed(err);
        return;
      }
      this.busy = result.busy;
      if (result.failure) {
        // The bus went down under this publish: that is waiting for it, not failing.
        if (!this.isReady()) return;
        this.failed(result.failure.error, result.failure.row);
        return;
      }
      if (!result.busy) this.recovered();
      if (result.busy || result.published < this.batchSize || !this.running) return;
    }
  }

  /** Checks the bus before taking rows; a change of state is worth a debug line. */
  private isReady(): boolean {
    const ready = this.ready();
    if (ready === this.waiting) {
      this.waiting = !ready;
      this.logger.debug?.(ready ? 'bus ready: outbox publishing resumes' : 'bus not ready: outbox waits for it');
    }
    return ready;
  }

  private publishOne(row: OutboxRow): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`publish timed out after ${this.publishTimeoutMs} ms`)), this.publishTimeoutMs);
      Promise.resolve()
        .then(() => this.publish(row.topic, row.payload))
        .then(
          () => resolve(),
          (err: unknown) => reject(err),
        )
        .finally(() => clearTimeout(timer));
    });
  }

  private failed(err: unknown, row?: OutboxRow): void {
    this.failures += 1;
    this.failingSince ??= new Date();
    this.lastError = err instanceof Error ? err.message : String(err);
    const where = row ? `row ${row.id} (topic ${row.topic}, attempt ${row.attempts})` : 'reading the outbox';
    const line = `outbox publishing failed at ${where}: ${this.lastError}; retrying with backoff`;
    // The first failure is what the operator needs; the retries after it are noise.
    if (this.failures === 1) this.logger.error(line);
    else this.logger.debug?.(line);
  }

  private recovered(): void {
    if (this.failures === 0) return;
    this.logger.log(`outbox publishing recovered after ${this.failures} failed attempts`);
    this.failures = 0;
    this.failingSince = undefined;
    this.lastError = undefined;
  }

  private nextDelay(): number {
    if (this.failures > 0) return Math.min(this.minBackoffMs * 2 ** (this.failures - 1), this.maxBackoffMs);
    if (this.waiting) return this.minBackoffMs;
    // Another process is draining: look again soon, its last batch may have missed our rows.
    return this.busy ? this.minBackoffMs : this.intervalMs;
  }
}
