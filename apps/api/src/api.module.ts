import { type DynamicModule, Inject, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
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
import { openDatabase } from './store/open-database';
import { OpeningDatabase } from './store/opening.database';
import { DATABASE, type Database, MESSAGE_STORE, OUTBOX_STORE, SqlMessageStore, SqlOutboxStore, SqlUserStore, USER_STORE } from './store';

/**
 * The REST app: users and credentials, stored messages with lifecycle events (outbox),
 * server-side publish, cluster stats, and seed 003's HTML client at `/`. Needs CoreModule.
 * `forRoot({databaseInBackground: true})` (the standalone server) lets start-up go on while
 * embedded PGlite opens; see `openDatabase`.
 */
@Module({
  imports: [ThrottlerModule.forRootAsync({ inject: [CONFIG, Metrics], useFactory: authThrottling })],
  controllers: [AuthController, MessagesController, PublishController, StatsController, ClientPageController],
  providers: [
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

  static forRoot(options: { databaseInBackground?: boolean } = {}): DynamicModule {
    return {
      module: ApiModule,
      providers: [{ provide: DATABASE, useFactory: (config: SwitchboardConfig) => openDatabase(config, options.databaseInBackground ?? false), inject: [CONFIG] }],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.db.close();
  }
}
