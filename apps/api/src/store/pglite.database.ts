import { mkdirSync } from 'node:fs';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import type { Database, Queryable } from './database';
import { TransactionGuard } from './transaction-guard';

/**
 * PostgreSQL's default 128 MB of shared buffers is WebAssembly memory PGlite holds for good:
 * 16 MB keeps an idle standalone server near 200 MB of RSS instead of 330 MB, plenty for
 * one process's users and messages.
 */
const SETTINGS = 'shared_buffers=8MB\n';

/**
 * Embedded PostgreSQL (PGlite, WebAssembly) in this process: the standalone default.
 *
 * PGlite has a single connection. Its own mutex queues every query behind a running
 * transaction, which is what serialises our transactions; so a transaction must never
 * await anything slow (the outbox relay publishes outside any transaction for that reason).
 * One process owns a data directory: never open the same one twice at once.
 */
export class PgliteDatabase implements Database {
  readonly kind = 'pglite' as const;
  private readonly pg: PGlite;
  private readonly guard = new TransactionGuard();
  private closed?: Promise<void>;

  /** `dataDir`: a directory (created when missing), or `memory://` for a throwaway database. */
  constructor(readonly dataDir: string) {
    // PGlite makes the last directory only; `memory://` and other schemes are not paths.
    if (!dataDir.includes('://')) mkdirSync(dataDir, { recursive: true });
    this.pg = new PGlite(dataDir, { postgresqlconf: SETTINGS });
    // Start-up failures surface on ready() and on every query; don't crash the process here.
    this.pg.waitReady.catch(() => undefined);
  }

  /** Opens the database and waits until it has started (seconds: WebAssembly compiles). */
  static async open(dataDir: string): Promise<PgliteDatabase> {
    try {
      const db = new PgliteDatabase(dataDir);
      await db.pg.waitReady;
      return db;
    } catch (err) {
      throw new Error(`PGlite could not open ${dataDir}: ${(err as Error).message}`);
    }
  }

  async query<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    this.guard.assertOutside('query');
    const result = await this.pg.query<T>(sql, [...params]);
    return result.rows;
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    this.guard.assertOutside('transaction');
    // PGlite's transaction() commits on resolve and rolls back (then rethrows) on throw.
    return this.pg.transaction((tx) => this.guard.inside(() => fn(wrap(tx))));
  }

  close(): Promise<void> {
    this.closed ??= this.pg.close();
    return this.closed;
  }
}

function wrap(tx: Transaction): Queryable {
  return {
    async query<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
      return (await tx.query<T>(sql, [...params])).rows;
    },
  };
}
