/** A structured log line: a message and its context, as pino and Nest's logger take it. */
export type LogEntry = { msg: string } & Record<string, unknown>;

interface Kind {
  /** Lines of this kind since the last one written. */
  repeated: number;
  last?: LogEntry;
  timer: NodeJS.Timeout;
}

/**
 * Turns a run of identical log lines into one line per interval, so an outage (every
 * publish failing for as long as Redis is down) reads as a few lines with counts, not
 * thousands. The first line of a kind is written at once; lines of the same kind within
 * the next `intervalMs` are counted, and when the interval ends one line is written with
 * the last one's fields and `repeated: n` (how many were held back). A kind quiet for a
 * whole interval starts over: its next line is written at once. Nothing is ever dropped
 * without being counted; timers never keep the process alive.
 */
export class LogCoalescer {
  private readonly kinds = new Map<string, Kind>();

  constructor(
    private readonly write: (entry: LogEntry) => void,
    readonly intervalMs = 10_000,
  ) {}

  /** Writes `entry` now, or counts it when a line of the same `kind` was written within the interval. */
  log(kind: string, entry: LogEntry): void {
    const seen = this.kinds.get(kind);
    if (seen) {
      seen.repeated++;
      seen.last = entry;
      return;
    }
    this.write(entry);
    this.open(kind);
  }

  /** Writes the counts still held and stops the timers (at shutdown). */
  flush(): void {
    for (const [kind, state] of [...this.kinds]) {
      clearTimeout(state.timer);
      this.kinds.delete(kind);
      if (state.repeated > 0) this.write({ ...state.last!, repeated: state.repeated });
    }
  }

  private open(kind: string): void {
    const timer = setTimeout(() => this.close(kind), this.intervalMs);
    timer.unref();
    this.kinds.set(kind, { repeated: 0, timer });
  }

  private close(kind: string): void {
    const state = this.kinds.get(kind);
    if (!state) return;
    this.kinds.delete(kind);
    if (state.repeated === 0) return;
    this.write({ ...state.last!, repeated: state.repeated });
    // Still repeating: the next count covers the next interval.
    this.open(kind);
  }
}
