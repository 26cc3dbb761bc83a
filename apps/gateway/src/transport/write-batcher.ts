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
  private readonly flushAll = (): void => {
    const batch = this.pending;
    this.pending = [];
    for (const item of batch) item.flush();
  };

  constructor(private readonly delayMs = 0) {}

  add(item: Batched): void {
    if (this.pending.push(item) !== 1) return;
    if (this.delayMs > 0) setTimeout(this.flushAll, this.delayMs);
    else setImmediate(this.flushAll);
  }
}
