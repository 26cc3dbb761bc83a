/** One row as a driver returns it: column name → value. */
export type Row = Record<string, unknown>;

/**
 * Something that runs SQL: the database itself, or the transaction handed to a
 * `transaction` callback.
 */
export interface Queryable {
  /**
   * Runs ONE statement with `$1, $2, …` parameters and resolves with its rows (`[]` for a
   * statement without RETURNING). One statement per call: PGlite's extended protocol
   * takes no more.
   *
   * Values come back the same on every driver: timestamptz → `Date`, bigint/int8 and
   * count(*) → `number`, text[] → `string[]`, jsonb → the parsed value. Pass JSON as a
   * string with a `::jsonb` cast (the pg driver would turn a JS array into a PG array).
   */
  query<T = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
}

/**
 * A PostgreSQL database: a real server (`postgres.database.ts`) or embedded PGlite
 * (`pglite.database.ts`). Stores are written against this and nothing driver-specific.
 *
 * Guarantees, for every driver:
 * - `transaction(fn)` runs every statement fn issues through `tx` inside one transaction
 *   (READ COMMITTED), commits when fn resolves and rolls back when it throws; the
 *   promise then rejects with fn's error. Transactions may run concurrently; PGlite has
 *   one connection, so there they queue and run one after another.
 * - Inside fn, use only `tx`: calling `query` or `transaction` on the Database itself
 *   from inside fn throws at once (on PGlite it would wait for fn forever). Code that fn
 *   starts and that outlives it (a timer, a kick) may use the Database normally.
 * - `close()` waits for running statements, then releases connections. It is idempotent;
 *   nothing may be called after it.
 */
export interface Database extends Queryable {
  /** Which driver: for logs and the health check, never for SQL dialect branches. */
  readonly kind: 'postgres' | 'pglite';
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Injection token for the Database. */
export const DATABASE = Symbol('DATABASE');
