/**
 * Turns per key: one holder at a time, the others waiting in arrival order, at most `max`
 * (holder included) per key; a key no one holds or waits for takes no memory.
 */
export class Turns {
  private readonly queues = new Map<string, { length: number; tail: Promise<void> }>();

  /**
   * Resolves with `leave` once every earlier caller for `key` has left; undefined at once
   * when `max` callers already hold or wait for it. `leave` may be called more than once.
   */
  take(key: string, max: number): Promise<() => void> | undefined {
    let queue = this.queues.get(key);
    if (queue === undefined) this.queues.set(key, (queue = { length: 0, tail: Promise.resolve() }));
    if (queue.length >= max) return undefined;
    queue.length += 1;
    const before = queue.tail;
    let pass!: () => void;
    queue.tail = new Promise<void>((resolve) => (pass = resolve));
    const q = queue;
    let left = false;
    const leave = (): void => {
      if (left) return;
      left = true;
      pass();
      if (--q.length === 0 && this.queues.get(key) === q) this.queues.delete(key);
    };
    return before.then(() => leave);
  }

  /** Keys held or waited for (for tests). */
  get size(): number {
    return this.queues.size;
  }
}
