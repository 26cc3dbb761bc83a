/**
 * Runs one connection's commands strictly one after another, even when a command waits
 * (a join waits for its subscription to be live), so a `message` sent right after a `join`
 * is never handled before the join is done. Synchronous tasks run at once.
 */
export class ConnectionQueue<T> {
  private readonly tasks: Array<() => T | Promise<T>> = [];
  private busy = false;

  constructor(
    private readonly onResult: (result: T) => void,
    private readonly onError: (err: unknown) => void,
  ) {}

  run(task: () => T | Promise<T>): void {
    this.tasks.push(task);
    if (!this.busy) this.drain();
  }

  get length(): number {
    return this.tasks.length;
  }

  private drain(): void {
    while (this.tasks.length > 0) {
      const task = this.tasks.shift()!;
      let result: T | Promise<T>;
      try {
        result = task();
      } catch (err) {
        this.onError(err);
        continue;
      }
      if (result instanceof Promise) {
        this.busy = true;
        result
          .then(this.onResult, this.onError)
          .finally(() => {
            this.busy = false;
            this.drain();
          });
        return;
      }
      this.onResult(result);
    }
  }
}
