import { type DynamicModule, Inject, Logger, type MiddlewareConsumer, Module, type NestModule, type OnApplicationBootstrap, type OnApplicationShutdown, type OnModuleInit, RequestMethod } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { Authenticator } from '@switchboard/auth';
import { CONFIG, type SwitchboardConfig } from '@switchboard/config';
import { Readiness } from '@switchboard/core';
import { LogCoalescer, Metrics } from '@switchboard/observability';
import { AuthController } from './auth/auth.controller';
import { AuthGuard } from './auth/auth.guard';
import { authThrottling } from './auth/auth-throttling';
import { CredentialsService } from './auth/credentials.service';
import { PasswordHasher } from './auth/password-hasher';
import { TokenService } from './auth/token.service';
import { UsersService } from './auth/users.service';
import { ClientPageController } from './http/client-page.controller';
import { ApiExceptionFilter } from './http/api-exception.filter';
import { refuseNul } from './http/nul-guard.middleware';
import { requireJsonBody } from './http/security.middleware';
import { MessagesController } from './messages/messages.controller';
import { MessagesService } from './messages/messages.service';
import { OutboxPublisher } from './messages/outbox-publisher.service';
import { PublishController } from './publish/publish.controller';
import { StatsController, StatsGuard } from './stats/stats.controller';
import { openDatabase } from './store/open-database';
import { OpeningDatabase } from './store/opening.database';
import { DATABASE, type Database, MESSAGE_STORE, OUTBOX_STORE, SqlMessageStore, SqlOutboxStore, SqlUserStore, USER_STORE } from './store';

/** How often the api checks that the credential directory still has every API key. */
const KEYS_CHECK_MS = 5000;

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
    StatsGuard,
    UsersService,
    MessagesService,
    OutboxPublisher,
  ],
  exports: [CredentialsService, USER_STORE],
})
export class ApiModule implements NestModule, OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Api');
  /** While Redis is down every check fails alike: one line, then one per interval with a count. */
  private readonly warnings = new LogCoalescer((entry) => this.logger.warn(entry));
  private keysTimer?: NodeJS.Timeout;
  /** Whether the last check found (or made) every API key in the credential directory. */
  private keysPublished = false;
  /** The check under way, if any: the timer does not start a second one beside it. */
  private keysCheck?: Promise<void>;

  constructor(
    @Inject(DATABASE) private readonly db: Database,
    private readonly readiness: Readiness,
    private readonly users: UsersService,
    private readonly auth: Authenticator,
    private readonly metrics: Metrics,
  ) {}

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(refuseNul).forRoutes('*');
    consumer
      .apply(requireJsonBody)
      .forRoutes(
        { path: 'auth/register', method: RequestMethod.POST },
        { path: 'auth/login', method: RequestMethod.POST },
        { path: 'api/v1/messages', method: RequestMethod.POST },
        { path: 'api/v1/messages/:id', method: RequestMethod.PATCH },
      );
  }

  /**
   * The gateways read API keys from the credential directory: make sure it has every one —
   * at start (it may be new) and every few seconds after (Redis may have restarted empty).
   * Not awaited: the standalone server listens while its database is still opening, and
   * readiness says when the keys are in.
   */
  onApplicationBootstrap(): void {
    void this.ensureKeys();
    this.keysTimer = setInterval(() => void this.ensureKeys(), KEYS_CHECK_MS);
    this.keysTimer.unref();
  }

  private ensureKeys(): Promise<void> {
    this.keysCheck ??= this.checkKeys().finally(() => (this.keysCheck = undefined));
    return this.keysCheck;
  }

  private async checkKeys(): Promise<void> {
    try {
      const n = await this.auth.ensureKeys(() => this.users.publishAllKeys());
      this.keysPublished = true;
      if (n > 0) this.logger.log({ msg: 'API keys published to the credential directory', users: n });
    } catch (err) {
      this.keysPublished = false;
      this.metrics.errors.labels('credential_keys').inc();
      const error = (err as Error).message;
      this.warnings.log('keys', { msg: 'API keys not published to the credential directory; gateways may refuse older keys until it is', error });
    }
  }

  onModuleInit(): void {
    this.readiness.register('database', async (): Promise<true | string> => {
      if (this.db instanceof OpeningDatabase && this.db.state() !== true) return this.db.state();
      await this.db.query('SELECT 1');
      return true;
    });
    this.readiness.register('api_keys', () => this.keysPublished || 'API keys not yet in the credential directory');
  }

  static forRoot(options: { databaseInBackground?: boolean } = {}): DynamicModule {
    return {
      module: ApiModule,
      providers: [{ provide: DATABASE, useFactory: (config: SwitchboardConfig) => openDatabase(config, options.databaseInBackground ?? false), inject: [CONFIG] }],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.keysTimer);
    this.warnings.flush();
    await this.db.close();
  }
}
