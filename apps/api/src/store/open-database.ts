import { Logger } from '@nestjs/common';
import type { SwitchboardConfig } from '@switchboard/config';
import type { Database } from './database';
import { createDatabase } from './database.factory';
import { migrate } from './migrations';
import { OpeningDatabase } from './opening.database';
import { PgliteDatabase } from './pglite.database';

/**
 * The api's store, migrated. By default it is open before start-up goes on (a bad
 * DATABASE_URL or data directory stops it). With `inBackground` (the standalone server)
 * embedded PGlite opens meanwhile: WebSockets are served at once, REST requests wait for
 * the database, readiness says "database still opening". PostgreSQL always opens first.
 */
export function openDatabase(config: SwitchboardConfig, inBackground: boolean): Promise<Database> | Database {
  const logger = new Logger('Database');
  const open = async () => {
    const started = Date.now();
    const db = await createDatabase({ databaseUrl: config.api.databaseUrl, dataDir: config.api.dataDir });
    const applied = await migrate(db);
    const created = db instanceof PgliteDatabase ? db.created : undefined;
    logger.log({ msg: 'database open', driver: db.kind, ms: Date.now() - started, migrationsApplied: applied, ...(created && { created }) });
    return db;
  };
  if (config.api.databaseUrl || !inBackground) return open();
  const db = new OpeningDatabase('pglite', open);
  db.ready().catch((err: Error) => logger.error({ msg: 'embedded database failed to open; REST requests fail until restarted', dataDir: config.api.dataDir, error: err.message }));
  return db;
}
