/** Something that buffered writes during this turn and must flush them. */
export interface Batched {
  flush(): void;
}

/**
 * Batches socket writes within one event-loop turn: a connection corks its socket on the
 * first write of a turn and registers here; every registered connection is uncorked in one
 * setImmediate, so all frames a socket got during the turn leave in one writev syscall
 * instead of one syscall per frame.
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
