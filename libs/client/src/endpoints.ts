/** The gateways to connect to: one URL, a list of replicas, or a function that picks one for each attempt. */
export type UrlSource = string | string[] | (() => string | Promise<string>);

/**
 * Where the next connection goes. A list is walked in turn from a random start (so clients
 * spread over the replicas); `moveOn()` after a drain or a failed attempt goes to the next.
 */
export class Endpoints {
  private index: number;

  constructor(private readonly source: UrlSource) {
    if (Array.isArray(source) && source.length === 0) throw new Error('urls: give at least one URL');
    this.index = Array.isArray(source) ? Math.floor(Math.random() * source.length) : 0;
  }

  /** How many different URLs there are to try (1 for a function). */
  get count(): number {
    return Array.isArray(this.source) ? this.source.length : 1;
  }

  /** A URL known without asking the function (to tell the dialect): the first one. */
  get first(): string | undefined {
    return typeof this.source === 'string' ? this.source : Array.isArray(this.source) ? this.source[0] : undefined;
  }

  /** The URL for the next attempt (a promise only when a function gives it asynchronously). */
  current(): string | Promise<string> {
    if (typeof this.source === 'function') {
      try {
        return this.source();
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return typeof this.source === 'string' ? this.source : this.source[this.index];
  }

  moveOn(): void {
    if (Array.isArray(this.source)) this.index = (this.index + 1) % this.source.length;
  }
}
