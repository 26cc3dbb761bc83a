export type Frame = Record<string, unknown> & { type: string };

/**
 * The frames a test client received, in order, and bounded waits for the next one that
 * matches: what a WebSocket client (TestClient) and an SSE client (SseTestClient) share.
 */
export abstract class FrameLog {
  readonly frames: Frame[] = [];
  /** How the server ended the connection (a WebSocket close code, or an SSE stream's close event); undefined while open. */
  closeCode: number | undefined;
  closeReason = '';
  private cursor = 0;
  private waiters: Array<() => void> = [];

  /** The next unread frame that matches; frames before it are skipped. */
  async next(match: string | ((f: Frame) => boolean), ms = 3000): Promise<Frame> {
    const test = typeof match === 'string' ? (f: Frame) => f.type === match : match;
    const deadline = Date.now() + ms;
    for (;;) {
      while (this.cursor < this.frames.length) {
        const f = this.frames[this.cursor++];
        if (test(f)) return f;
      }
      const left = deadline - Date.now();
      if (left <= 0 || this.closeCode !== undefined) {
        throw new Error(`no frame matching ${typeof match === 'string' ? match : 'predicate'} (closed=${this.closeCode}); got ${JSON.stringify(this.frames.slice(-5))}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Asserts that no frame matching arrives within `ms`. */
  async none(match: string | ((f: Frame) => boolean), ms = 300): Promise<void> {
    const test = typeof match === 'string' ? (f: Frame) => f.type === match : match;
    const start = this.cursor;
    await new Promise((r) => setTimeout(r, ms));
    const found = this.frames.slice(start).find(test);
    if (found) throw new Error(`unexpected frame ${JSON.stringify(found)}`);
  }

  protected received(frame: Frame): void {
    this.frames.push(frame);
    this.wake();
  }

  protected ended(code: number, reason: string): void {
    this.closeCode = code;
    this.closeReason = reason;
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}
