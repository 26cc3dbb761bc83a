import type { Database } from './database';
import { PgliteDatabase } from './pglite.database';
import { PostgresDatabase, type PostgresDatabaseOptions } from './postgres.database';

/** Where the store lives; both fields come from the api's config. */
export interface DatabaseConfig {
  /** A PostgreSQL connection string (`DATABASE_URL`). Set: a real server. Unset: PGlite. */
  databaseUrl?: string;
  /** PGlite's data directory, or `memory://`; ignored when `databaseUrl` is set. */
  dataDir: string;
  /** Passed to the PostgreSQL driver. */
  postgres?: PostgresDatabaseOptions;
}

/**
 * Opens the database the config names and resolves once it answers, or rejects with a
 * message saying which one failed and why. Run `migrate(db)` next.
 */
export function createDatabase(config: DatabaseConfig): Promise<Database> {
  return config.databaseUrl ? PostgresDatabase.open(config.databaseUrl, config.postgres) : PgliteDatabase.open(config.dataDir);
}
