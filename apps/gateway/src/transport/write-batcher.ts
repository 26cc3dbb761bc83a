/** Something that buffered writes during this turn and must flush them. */
export interface Batched {
  flush(): void;
}

/**
 * Batches socket writes within one event-loop turn: a connection registers here on the
 * first frame it queues in a turn, and every registered connection is flushed in one
 * setImmediate, so all frames a socket got during the turn leave in one write instead of
 * one syscall per frame.
 */
export class WriteBatcher {
  private pending: Batched[] = [];
  private readonly flushAll = (): void => {
    const batch = this.pending;
    this.pending = [];
    for (const item of batch) item.flush();
  };

  add(item: Batched): void {
    if (this.pending.push(item) === 1) setImmediate(this.flushAll);
  }
}
