import { type DynamicModule, Global, Inject, Module, type OnModuleInit } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { Authenticator, createCredentialDirectory, CREDENTIAL_DIRECTORY, type CredentialDirectory, JwtVerifier } from '@switchboard/auth';
import { BUS, type Bus, createBus } from '@switchboard/bus';
import { CONFIG, ConfigModule, type SwitchboardConfig } from '@switchboard/config';
import { Metrics, MetricsController } from '@switchboard/observability';
import { createPresence, PRESENCE } from '@switchboard/presence';
import { HealthController } from './health.controller';
import { Readiness } from './readiness';

/**
 * What every Switchboard app shares, provided once per process: the config, metrics, JWT
 * and API key verification (with the credential directory), the bus, presence, and the health endpoints. The standalone server puts
 * the gateway and the api on one CoreModule, so they share one in-memory bus.
 */
@Global()
@Module({})
export class CoreModule implements OnModuleInit {
  constructor(
    private readonly readiness: Readiness,
    @Inject(BUS) private readonly bus: Bus,
    private readonly metrics: Metrics,
    private readonly authenticator: Authenticator,
  ) {}

  static forRoot(config: SwitchboardConfig, metrics = new Metrics()): DynamicModule {
    return {
      module: CoreModule,
      imports: [ConfigModule.forRoot(config), TerminusModule.forRoot({ logger: false })],
      controllers: [HealthController, MetricsController],
      providers: [
        Readiness,
        { provide: Metrics, useValue: metrics },
        {
          provide: JwtVerifier,
          useFactory: ({ auth }: SwitchboardConfig) =>
            new JwtVerifier({ secret: auth.jwtSecret, publicKey: auth.jwtPublicKey }, { audience: auth.jwtAudience, issuer: auth.jwtIssuer, clockSkewMs: auth.jwtClockSkewMs }),
          inject: [CONFIG],
        },
        {
          provide: CREDENTIAL_DIRECTORY,
          useFactory: (c: SwitchboardConfig, m: Metrics) =>
            createCredentialDirectory(c, {
              onDropped: () => m.busDropped.labels('credential_change').inc(),
              onError: () => m.busErrors.labels('credential_directory').inc(),
            }),
          inject: [CONFIG, Metrics],
        },
        {
          provide: Authenticator,
          useFactory: (c: SwitchboardConfig, jwt: JwtVerifier, directory: CredentialDirectory) => new Authenticator(jwt, directory, c.api.tokenTtlMs),
          inject: [CONFIG, JwtVerifier, CREDENTIAL_DIRECTORY],
        },
        { provide: BUS, useFactory: (c: SwitchboardConfig, m: Metrics) => createBus(c.bus, m), inject: [CONFIG, Metrics] },
        { provide: PRESENCE, useFactory: (c: SwitchboardConfig) => createPresence(c), inject: [CONFIG] },
      ],
      exports: [Readiness, Metrics, JwtVerifier, Authenticator, BUS, PRESENCE],
    };
  }

  onModuleInit(): void {
    this.readiness.register('bus', () => this.bus.isReady() || 'bus subscriptions not live');
    this.metrics.readinessProbe = () => this.readiness.status();
    this.readiness.register('credentials', () => this.authenticator.isReady() || 'credential directory not loaded');
  }
}
