import type { Database, Queryable } from './database';

/**
 * A Database that is still opening (embedded PGlite takes seconds to start, and to create
 * its files the first time): statements wait until it is open, so the process can serve
 * WebSockets meanwhile. If opening fails, every statement rejects with that error and
 * `state()` says why. Otherwise it behaves exactly like the database it opens.
 */
export class OpeningDatabase implements Database {
  private db?: Database;
  private failure?: Error;
  private readonly opened: Promise<Database>;

  constructor(
    readonly kind: Database['kind'],
    open: () => Promise<Database>,
  ) {
    this.opened = open().then(
      (db) => (this.db = db),
      (err: Error) => {
        this.failure = err;
        throw err;
      },
    );
    // Shown by state() (readiness), by every statement and to whoever awaits ready() (which logs it).
    this.opened.catch(ignoreReported);
  }

  /** `true` once open; otherwise why not (still opening, or the error that stopped it). */
  state(): true | string {
    if (this.db) return true;
    return this.failure ? `database failed to open: ${this.failure.message}` : 'database still opening';
  }

  /** Resolves when open; rejects with the reason it could not be. */
  ready(): Promise<unknown> {
    return this.opened;
  }

  async query<T>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    return (this.db ?? (await this.opened)).query<T>(sql, params);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return (this.db ?? (await this.opened)).transaction(fn);
  }

  async close(): Promise<void> {
    // A database that failed to open has nothing to close (the failure was reported then).
    const db = await this.opened.catch(ignoreReported);
    await db?.close();
  }
}

/** For a failure already logged and reported where it matters. */
function ignoreReported(): undefined {
  return undefined;
}
