type Handler = (...args: unknown[]) => void;

/** A small typed event emitter with no platform dependency: `on(name, fn)` returns an unsubscribe. */
export class Emitter<Events extends { [K in keyof Events]: unknown[] }> {
  private readonly handlers = new Map<keyof Events, Set<Handler>>();

  on<K extends keyof Events>(event: K, handler: (...args: Events[K]) => void): () => void {
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    set.add(handler as unknown as Handler);
    return () => this.off(event, handler);
  }

  once<K extends keyof Events>(event: K, handler: (...args: Events[K]) => void): () => void {
    const off = this.on(event, (...args) => {
      off();
      handler(...args);
    });
    return off;
  }

  off<K extends keyof Events>(event: K, handler: (...args: Events[K]) => void): void {
    this.handlers.get(event)?.delete(handler as unknown as Handler);
  }

  protected emit<K extends keyof Events>(event: K, ...args: Events[K]): void {
    const set = this.handlers.get(event);
    if (!set) return;
    for (const handler of [...set]) handler(...args);
  }
}
