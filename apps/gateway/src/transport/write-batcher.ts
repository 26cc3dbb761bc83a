/** Something that buffered writes during this turn and must flush them. */
export interface Batched {
  flush(): void;
}

/**
 * Batches socket writes: a connection registers here on the first frame it queues, and
 * every registered connection is flushed together — at the end of the event-loop turn
 * (setImmediate), or `delayMs` later (WEBSOCKET_WRITE_DELAY, as centrifuge's WriteDelay), so
 * all frames a socket got meanwhile leave in one write instead of one syscall per frame.
 * A delay trades that much latency for fewer writes when each room is quiet but many are busy.
 */
export class WriteBatcher {
  private pending: Batched[] = [];
  private later: Batched[] = [];
  private readonly flushAll = (): void => {
    const batch = this.pending;
    this.pending = [];
    for (const item of batch) item.flush();
  };
  private readonly flushLater = (): void => {
    const batch = this.later;
    this.later = [];
    for (const item of batch) item.flush();
  };

  /**
   * `laterMs` (WEBSOCKET_PRESENCE_NOTICE_DELAY) is how long frames nobody waits for (join and
   * leave notices) may collect: while a room fills, each member's notices of many joins leave
   * in one write instead of one write per join per member.
   */
  constructor(
    private readonly delayMs = 0,
    private readonly laterMs = 0,
  ) {}

  /**
   * Flushes `item` within `laterMs`, or with the next `add` if that comes first (the item
   * writes everything it holds, in order, whenever it is flushed).
   */
  addLater(item: Batched): void {
    if (this.laterMs <= this.delayMs) return this.add(item);
    if (this.later.push(item) === 1) setTimeout(this.flushLater, this.laterMs);
  }

  add(item: Batched): void {
    if (this.pending.push(item) !== 1) return;
    if (this.delayMs > 0) setTimeout(this.flushAll, this.delayMs);
    else setImmediate(this.flushAll);
  }
}
