import type { Limits } from './frames';

/**
 * The client's side of the server's rate limit: a token bucket with the server's rate and
 * half its burst, so frames the client sends never reach the server's limit (which drops
 * them, then closes with 1008) even when the network bunches them. Without announced limits
 * it never holds anything back.
 */
export class Pacer {
  private tokens: number;
  private last: number;
  private readonly capacity: number;
  private readonly rate: number | undefined;

  constructor(limits: Limits | undefined, now: number) {
    this.rate = limits?.messageRate;
    this.capacity = Math.max(1, Math.floor((limits?.messageBurst ?? 2) / 2));
    this.tokens = this.capacity;
    this.last = now;
  }

  /** Milliseconds until a frame of `cost` may go; 0 means it may go now, and its tokens are taken. */
  take(now: number, cost = 1): number {
    if (this.rate === undefined) return 0;
    this.refill(now);
    const need = Math.min(cost, this.capacity);
    if (this.tokens >= need) {
      this.tokens -= need;
      return 0;
    }
    return Math.max(1, Math.ceil(((need - this.tokens) / this.rate) * 1000));
  }

  /** A frame that goes now whatever the bucket holds (a refresh, a leave): later frames wait for it. */
  force(now: number, cost = 1): void {
    if (this.rate === undefined) return;
    this.refill(now);
    this.tokens -= Math.min(cost, this.capacity);
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.rate!);
    this.last = now;
  }
}

const JOINS = new Set(['join', 'join_room', 'join_channel']);

/** How many frames `frame` counts as against the server's rate limit, as it announced (1 when it did not say). */
export function costOf(frame: Record<string, unknown>, limits: Limits | undefined): number {
  if (frame.type === 'user_list') return limits?.userListCost ?? 1;
  if (JOINS.has(String(frame.type))) return (frame.since !== undefined ? limits?.resumeCost : limits?.joinCost) ?? 1;
  return 1;
}

/** A frame's size as the server measures it: UTF-8 bytes of its JSON text. */
export function frameBytes(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
