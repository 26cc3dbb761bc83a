import { Logger, type LoggerService } from '@nestjs/common';
import { Pool, types, type PoolClient } from 'pg';
import type { Database, Queryable } from './database';
import { TransactionGuard } from './transaction-guard';

/** Options of the PostgreSQL driver; every field has a default. */
export interface PostgresDatabaseOptions {
  /**
   * Schema to work in: created when missing and set as the `search_path` of every pooled
   * connection, so tables land there. Tests use a throwaway one each. Letters, digits and
   * `_` only. Default: none (the server's search_path, normally `public`).
   */
  schema?: string;
  /** Most connections in the pool. Default 10. */
  poolSize?: number;
  /** How long a query waits for a connection before it fails, in ms. Default 5000. */
  connectTimeoutMs?: number;
  /** Where errors of idle pooled connections go. Default: Nest's Logger. */
  logger?: Pick<LoggerService, 'warn'>;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const INT8_OID = 20;

/** int8 and count(*) as numbers, as PGlite returns them; our ids stay far below 2^53. */
const typeParser = ((oid: number, format?: 'text' | 'binary') =>
  oid === INT8_OID ? Number : types.getTypeParser(oid, format)) as typeof types.getTypeParser;

/**
 * A real PostgreSQL server through a `pg` Pool (cluster mode, `DATABASE_URL`).
 * A transaction holds one pooled connection from BEGIN to COMMIT/ROLLBACK.
 */
export class PostgresDatabase implements Database {
  readonly kind = 'postgres' as const;
  readonly schema?: string;
  private readonly pool: Pool;
  private readonly guard = new TransactionGuard();
  private prepared?: Promise<void>;
  private closed?: Promise<void>;

  constructor(url: string, options: PostgresDatabaseOptions = {}) {
    const schema = options.schema;
    if (schema !== undefined && !IDENTIFIER.test(schema)) throw new Error(`invalid schema name: ${JSON.stringify(schema)}`);
    this.schema = schema;
    this.pool = new Pool({
      ...(schema === undefined ? { connectionString: url } : withSearchPath(url, schema)),
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      types: { getTypeParser: typeParser },
    });
    // A connection dropped while idle: the pool has discarded it and the next query dials
    // a new one. Without a listener the 'error' event would crash the process.
    const logger = options.logger ?? new Logger(PostgresDatabase.name);
    this.pool.on('error', (err) => logger.warn(`idle PostgreSQL connection lost: ${err.message}`));
  }

  /**
   * Connects once (creating the schema when one is set) and resolves, or rejects with a
   * message naming the server, password hidden, and why.
   */
  static async open(url: string, options: PostgresDatabaseOptions = {}): Promise<PostgresDatabase> {
    const db = new PostgresDatabase(url, options);
    try {
      await db.query('SELECT 1');
    } catch (err) {
      await db.close();
      const e = err as Error & { code?: string };
      throw new Error(`PostgreSQL not reachable at ${redact(url)}: ${e.message || e.code || String(err)}`);
    }
    return db;
  }

  async query<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    this.guard.assertOutside('query');
    await this.prepare();
    const result = await this.pool.query(sql, [...params]);
    return result.rows as T[];
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    this.guard.assertOutside('transaction');
    await this.prepare();
    const client = await this.pool.connect();
    const tx = new ClientTransaction(client);
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await this.guard.inside(() => fn(tx));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      // A failed ROLLBACK leaves the connection in an unknown state: destroy, don't reuse.
      await client.query('ROLLBACK').catch((rollbackErr: Error) => (broken = rollbackErr));
      throw err;
    } finally {
      tx.done = true;
      client.release(broken);
    }
  }

  close(): Promise<void> {
    this.closed ??= this.pool.end();
    return this.closed;
  }

  /** Creates the schema once; retried by the next call if the server was unreachable. */
  private prepare(): Promise<void> {
    if (this.schema === undefined) return Promise.resolve();
    this.prepared ??= this.pool.query(`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`).then(
      () => undefined,
      (err: Error & { code?: string }) => {
        // Two processes creating it at once: one loses the race on the catalog; fine.
        if (err.code === '23505' || err.code === '42P06') return;
        this.prepared = undefined;
        throw err;
      },
    );
    return this.prepared;
  }
}

/**
 * The `tx` of one transaction. Queries issued together (Promise.all) run one after
 * another, as on PGlite; pg itself stops queueing them in its next major version.
 * Refuses use after the transaction has ended.
 */
class ClientTransaction implements Queryable {
  done = false;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly client: PoolClient) {}

  query<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    const run = this.tail.then(async () => {
      if (this.done) throw new Error('query on a transaction that has already ended');
      const result = await this.client.query(sql, [...params]);
      return result.rows as T[];
    });
    this.tail = run.catch(() => undefined);
    return run;
  }
}

/**
 * Pool settings that put `schema` first on every connection's search_path at start-up
 * (no extra round trip). pg lets `options=` in the URL override the config's, so when
 * the URL has one, ours is appended to it there.
 */
function withSearchPath(url: string, schema: string): { connectionString: string; options?: string } {
  const setting = `-c search_path=${schema}`;
  try {
    const u = new URL(url);
    const existing = u.searchParams.get('options');
    if (existing === null) return { connectionString: url, options: setting };
    u.searchParams.set('options', `${existing} ${setting}`);
    return { connectionString: u.toString() };
  } catch {
    return { connectionString: url, options: setting };
  }
}

/** The connection string with its password masked, for error messages. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}
