import { AsyncLocalStorage } from 'node:async_hooks';

/** The open/closed state of one running transaction callback. */
interface Frame {
  open: boolean;
}

/**
 * Catches a transaction callback that calls its Database instead of its `tx`. On PGlite's
 * single connection that waits for the callback itself and hangs forever; on a real
 * server it would silently run outside the transaction. Either way it is a bug, so it
 * throws with a message that says what to do.
 */
export class TransactionGuard {
  private readonly frames = new AsyncLocalStorage<Frame>();

  /** Throws when called from inside a running transaction callback of this database. */
  assertOutside(what: string): void {
    // A frame outlives its callback in timers and promises fn started; those are fine.
    if (this.frames.getStore()?.open) {
      throw new Error(`${what} called on the Database inside its own transaction callback: use the tx argument`);
    }
  }

  /** Runs fn marked as inside a transaction; the mark is lifted when fn settles. */
  async inside<T>(fn: () => Promise<T>): Promise<T> {
    const frame: Frame = { open: true };
    try {
      return await this.frames.run(frame, fn);
    } finally {
      frame.open = false;
    }
  }
}
