import { type DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { JwtVerifier } from '../../../libs/auth/src';
import { BUS, createBus } from '../../../libs/bus/src/bus.factory';
import { CONFIG, ConfigModule, type SwitchboardConfig } from '../../../libs/config/src';
import { Metrics, MetricsController } from '../../../libs/observability/src';
import { PRESENCE, createPresence } from '../../../libs/presence/src/presence.factory';
import { ChannelsGateway } from './channels/channels.gateway';
import { HealthController } from './health/health.controller';
import { HubService } from './hub/hub.service';
import { RoomsGateway } from './rooms/rooms.gateway';
import { DrainService } from './transport/drain.service';
import { HandshakeService } from './transport/handshake.service';
import { HeartbeatService } from './transport/heartbeat.service';

/** The gateway: WebSocket dialects, the hub, the bus and presence, health and metrics. */
@Module({})
export class GatewayModule {
  static forRoot(config: SwitchboardConfig, metrics = new Metrics()): DynamicModule {
    return {
      module: GatewayModule,
      imports: [ConfigModule.forRoot(config), TerminusModule.forRoot({ logger: false })],
      controllers: [HealthController, MetricsController],
      providers: [
        { provide: Metrics, useValue: metrics },
        { provide: JwtVerifier, useFactory: (c: SwitchboardConfig) => new JwtVerifier({ secret: c.auth.jwtSecret, publicKey: c.auth.jwtPublicKey }), inject: [CONFIG] },
        { provide: BUS, useFactory: (c: SwitchboardConfig, m: Metrics) => createBus(c.bus, m), inject: [CONFIG, Metrics] },
        { provide: PRESENCE, useFactory: (c: SwitchboardConfig) => createPresence(c), inject: [CONFIG] },
        HandshakeService,
        HubService,
        HeartbeatService,
        DrainService,
        RoomsGateway,
        ChannelsGateway,
      ],
      exports: [HubService, HandshakeService, Metrics, BUS, PRESENCE, JwtVerifier],
    };
  }
}
