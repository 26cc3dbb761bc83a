/** A credential: a JWT, or a function the client asks for a fresh one before every (re)connect and ahead of `exp`. */
export type TokenSource = string | (() => string | Promise<string>);

/** A JWT's `exp` (unix seconds), read without verifying it; undefined when it has none or is no JWT. */
export function tokenExpiry(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/');
    const json = decodeURIComponent(
      Array.from(atob(base64.padEnd(base64.length + ((4 - (base64.length % 4)) % 4), '=')), (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join(''),
    );
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp : undefined;
  } catch {
    return undefined;
  }
}

/**
 * How long to wait before refreshing a token that expires at `exp` (unix seconds): a quarter
 * of its remaining life ahead of `exp`, at least 1 s and at most 30 s ahead.
 */
export function refreshDelay(exp: number, nowMs: number): number {
  const left = exp * 1000 - nowMs;
  const ahead = Math.min(30_000, Math.max(1_000, left / 4));
  return Math.max(0, left - ahead);
}

/** What a TokenKeeper does with a renewed token, and with a token function that failed. */
export interface TokenKeeperHooks {
  /** Sends a fresh token on the open connection (`refresh`). */
  refresh(token: string): void;
  failed(err: unknown): void;
}

/**
 * The connection's token: asked of the function before each connection, and again ahead of
 * its `exp` while the connection is open, to be sent as `refresh`; a `refreshed` answer sets
 * the next deadline.
 */
export class TokenKeeper {
  private token: string | undefined;
  private expiry: number | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly source: TokenSource | undefined,
    private readonly hooks: TokenKeeperHooks,
  ) {}

  /** Whether a function can give a fresh token. */
  get renewable(): boolean {
    return typeof this.source === 'function';
  }

  /** The token for the next connection (the function is asked now); a promise when the function gives one. */
  next(): string | Promise<string> | undefined {
    try {
      return typeof this.source === 'function' ? this.source() : this.source;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** A connection is opened with `token`: its `exp`, if it has one. */
  use(token: string | undefined): number | undefined {
    this.token = token;
    return (this.expiry = token === undefined ? undefined : tokenExpiry(token));
  }

  /** The connection opened (or was refreshed): ask the function again ahead of `exp`, while `current()` says it is the same connection. */
  schedule(current: () => boolean): void {
    this.stop();
    const source = this.source;
    if (typeof source !== 'function' || this.expiry === undefined) return;
    this.timer = setTimeout(
      async () => {
        let token: string;
        try {
          token = await source();
        } catch (err) {
          return this.hooks.failed(err);
        }
        if (!current()) return; // reconnecting: the next connection asks anew
        this.token = token;
        this.hooks.refresh(token);
      },
      Math.max(500, refreshDelay(this.expiry, Date.now())),
    );
  }

  /** The server took the fresh token; the connection now lasts until `exp` (else the token's own). */
  refreshed(exp: number | undefined, current: () => boolean): void {
    this.expiry = exp ?? (this.token === undefined ? undefined : tokenExpiry(this.token));
    this.schedule(current);
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
