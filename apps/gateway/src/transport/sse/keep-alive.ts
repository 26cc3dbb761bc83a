/** How often a stream gets a comment when nothing else is sent: under the idle timeouts of common proxies (30–60 s). */
export const KEEP_ALIVE_MS = 15_000;
/** Streams get their comment in slices this far apart, never all in one turn. */
const SLICE_MS = 50;
const COMMENT = Buffer.from(':\n\n');

/** A stream that can take a comment. */
export interface Commentable {
  comment(bytes: Buffer): void;
}

/**
 * Keeps SSE streams alive through proxies that cut an idle response: every KEEP_ALIVE_MS each
 * open stream gets a comment line (which EventSource ignores), the streams visited in slices
 * spread over the period, as the heartbeat spreads its pings.
 */
export class KeepAlive {
  private readonly streams = new Set<Commentable>();
  private round: Commentable[] = [];
  private next = 0;
  private perSlice = 1;
  private roundStartedAt = 0;
  private timer?: NodeJS.Timeout;

  add(stream: Commentable): void {
    this.streams.add(stream);
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.slice(), SLICE_MS);
      this.timer.unref();
    }
  }

  delete(stream: Commentable): void {
    this.streams.delete(stream);
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Visits the next slice of the current round; starts a round once per KEEP_ALIVE_MS. */
  slice(now = Date.now()): void {
    if (this.next >= this.round.length) {
      if (now - this.roundStartedAt < KEEP_ALIVE_MS) return;
      this.roundStartedAt = now;
      this.round = [...this.streams];
      this.next = 0;
      this.perSlice = Math.max(1, Math.ceil(this.round.length / (KEEP_ALIVE_MS / SLICE_MS)));
    }
    const end = Math.min(this.round.length, this.next + this.perSlice);
    for (; this.next < end; this.next++) {
      const stream = this.round[this.next];
      if (this.streams.has(stream)) stream.comment(COMMENT);
    }
  }
}
