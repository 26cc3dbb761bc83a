import { SwitchboardError } from './errors';
import type { AckFrame, StreamPosition } from './frames';

/** A publish the server acknowledged: the message is in the room's history at `offset`. */
export interface Published extends StreamPosition {
  id: string;
  room: string;
}

/** What the outbox needs from the connection it writes to. */
export interface OutboxLink {
  /** The current connection's number (a new one per connection), undefined while disconnected. */
  connection(): number | undefined;
  /** Whether the room's join is confirmed on the current connection (the server takes its chat). */
  live(room: string): boolean;
  /** The largest frame the server takes, in bytes, when it said. */
  maxBytes(): number | undefined;
  /** Milliseconds until the next frame may go (0: now, and it is counted). */
  wait(): number;
  write(text: string): void;
}

interface Entry {
  id: string;
  room: string;
  text: string;
  bytes: number;
  /** The connection it was last written to. */
  sentOn?: number;
  resolve(published: Published): void;
  reject(err: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

export interface OutboxOptions {
  maxQueued: number;
  timeoutMs: number;
}

/**
 * Publishes waiting for their acknowledgement, in the order they were made. Each is written
 * once per connection, once its room is live there, at the pace the server allows: after a
 * reconnect every one not yet acknowledged is written again with its id, and the server
 * publishes an id only once, so each message reaches the room once and in order. A publish
 * settles exactly once: on its ack, on a refusal naming its id, at its timeout, or when the
 * client fails or leaves the room.
 */
export class Outbox {
  private readonly entries = new Map<string, Entry>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly link: OutboxLink,
    private readonly options: OutboxOptions,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** Queues a frame (already carrying `id`) for `room`; settles on its ack. */
  add(id: string, room: string, text: string, bytes: number): Promise<Published> {
    if (this.entries.size >= this.options.maxQueued) {
      return Promise.reject(new SwitchboardError('queue_full', `${this.entries.size} messages wait for their acknowledgement (maxQueued)`, room));
    }
    const tooBig = this.tooBig(room, bytes);
    if (tooBig) return Promise.reject(tooBig);
    return new Promise<Published>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.entries.delete(id)) reject(new SwitchboardError('timeout', `no acknowledgement within ${this.options.timeoutMs} ms`, room));
      }, this.options.timeoutMs);
      this.entries.set(id, { id, room, text, bytes, resolve, reject, timer });
      this.flush();
    });
  }

  /** Writes what may go now, in order; schedules itself again when the rate limit holds some back. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const connection = this.link.connection();
    if (connection === undefined) return;
    for (const entry of this.entries.values()) {
      if (entry.sentOn === connection || !this.link.live(entry.room)) continue;
      const tooBig = this.tooBig(entry.room, entry.bytes);
      if (tooBig) {
        this.settle(entry, tooBig);
        continue;
      }
      const wait = this.link.wait();
      if (wait > 0) {
        this.timer = setTimeout(() => this.flush(), wait);
        return;
      }
      entry.sentOn = connection;
      this.link.write(entry.text);
    }
  }

  ack(frame: AckFrame): void {
    const entry = this.entries.get(frame.id);
    if (entry) this.settle(entry, undefined, { id: frame.id, room: entry.room, offset: frame.offset, epoch: frame.epoch });
  }

  /**
   * The server refused a publish of `err.room`. A passing refusal (rate limited, the bus
   * unavailable) writes again, after a moment, every publish of the room written to the current
   * connection and not yet acknowledged — an id the server did publish is only acknowledged
   * again. Any other refusal rejects the publish its `id` names (one without an id names none:
   * that publish ends at its timeout).
   */
  refused(err: SwitchboardError, id?: string): void {
    const passing = err.code === 'rate_limited' || err.code === 'unavailable';
    const connection = this.link.connection();
    for (const entry of [...this.entries.values()]) {
      // Passing: the server names only the first frame of a run of drops, so every publish of
      // the room sent on this connection goes again (a repeat by id is not published twice).
      if (passing) {
        if (entry.room === err.room && entry.sentOn === connection) entry.sentOn = undefined;
      } else if (id !== undefined && entry.id === id) this.settle(entry, err);
    }
    if (passing && this.timer === undefined) this.timer = setTimeout(() => this.flush(), 500);
  }

  /** Rejects every publish of `room` (left, or refused on the re-join), or every publish. */
  rejectAll(err: Error, room?: string): void {
    for (const entry of [...this.entries.values()]) if (room === undefined || entry.room === room) this.settle(entry, err);
  }

  private tooBig(room: string, bytes: number): SwitchboardError | undefined {
    const max = this.link.maxBytes();
    if (max === undefined || bytes <= max) return undefined;
    return new SwitchboardError('message_too_big', `the message frame is ${bytes} bytes; the server takes at most ${max}`, room);
  }

  private settle(entry: Entry, err?: Error, published?: Published): void {
    this.entries.delete(entry.id);
    clearTimeout(entry.timer);
    if (err) entry.reject(err);
    else entry.resolve(published!);
  }
}

/** A fresh publish id: a random UUID (36 characters; the server takes 1–64). */
export function publishId(): string {
  const crypto = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (crypto?.randomUUID) return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}-${Math.random().toString(36).slice(2)}`;
}
