import { Inject, Logger, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { CONFIG, type SwitchboardConfig } from '../../../libs/config/src';
import { Readiness } from '../../../libs/core/src';
import { Metrics } from '../../../libs/observability/src';
import { AuthController } from './auth/auth.controller';
import { AuthGuard } from './auth/auth.guard';
import { authThrottling } from './auth/auth-throttling';
import { CredentialsService } from './auth/credentials.service';
import { PasswordHasher } from './auth/password-hasher';
import { TokenService } from './auth/token.service';
import { UsersService } from './auth/users.service';
import { ClientPageController } from './http/client-page.controller';
import { ApiExceptionFilter } from './http/api-exception.filter';
import { MessagesController } from './messages/messages.controller';
import { MessagesService } from './messages/messages.service';
import { OutboxPublisher } from './messages/outbox-publisher.service';
import { PublishController } from './publish/publish.controller';
import { StatsController } from './stats/stats.controller';
import { OpeningDatabase } from './store/opening.database';
import { createDatabase, DATABASE, type Database, migrate, MESSAGE_STORE, OUTBOX_STORE, SqlMessageStore, SqlOutboxStore, SqlUserStore, USER_STORE } from './store';

/**
 * The REST app: users and credentials, stored messages with lifecycle events (outbox),
 * server-side publish, cluster stats, and seed 003's HTML client at `/`. Needs CoreModule.
 */
/**
 * The store, migrated. PostgreSQL is open before start-up goes on (a bad DATABASE_URL stops
 * it); embedded PGlite opens in the background, so WebSockets are served meanwhile and REST
 * requests wait for it (readiness says "database still opening").
 */
function openDatabase(config: SwitchboardConfig): Promise<Database> | Database {
  const logger = new Logger('Database');
  const open = async () => {
    const started = Date.now();
    const db = await createDatabase({ databaseUrl: config.api.databaseUrl, dataDir: config.api.dataDir });
    const applied = await migrate(db);
    logger.debug({ msg: 'database open', driver: db.kind, ms: Date.now() - started, migrationsApplied: applied });
    return db;
  };
  if (config.api.databaseUrl) return open();
  const db = new OpeningDatabase('pglite', open);
  db.ready().catch((err: Error) => logger.error({ msg: 'embedded database failed to open; REST requests fail until restarted', dataDir: config.api.dataDir, error: err.message }));
  return db;
}

@Module({
  imports: [ThrottlerModule.forRootAsync({ inject: [CONFIG, Metrics], useFactory: authThrottling })],
  controllers: [AuthController, MessagesController, PublishController, StatsController, ClientPageController],
  providers: [
    { provide: DATABASE, useFactory: openDatabase, inject: [CONFIG] },
    { provide: USER_STORE, useFactory: (db: Database) => new SqlUserStore(db), inject: [DATABASE] },
    { provide: MESSAGE_STORE, useFactory: (db: Database) => new SqlMessageStore(db), inject: [DATABASE] },
    { provide: OUTBOX_STORE, useFactory: (db: Database) => new SqlOutboxStore(db), inject: [DATABASE] },
    { provide: APP_FILTER, useClass: ApiExceptionFilter },
    PasswordHasher,
    TokenService,
    CredentialsService,
    AuthGuard,
    UsersService,
    MessagesService,
    OutboxPublisher,
  ],
  exports: [CredentialsService, USER_STORE],
})
export class ApiModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    private readonly readiness: Readiness,
  ) {}

  onModuleInit(): void {
    this.readiness.register('database', async (): Promise<true | string> => {
      if (this.db instanceof OpeningDatabase && this.db.state() !== true) return this.db.state();
      await this.db.query('SELECT 1');
      return true;
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.db.close();
  }
}
