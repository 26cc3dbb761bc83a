import { Module, type OnModuleInit } from '@nestjs/common';
import { Readiness } from '../../../libs/core/src';
import { DIALECTS } from './dialects/dialects';
import { ClientIdsService } from './hub/client-ids.service';
import { HubService } from './hub/hub.service';
import { SignalingService } from './signaling/signaling.service';
import { DrainService } from './transport/drain.service';
import { FlowControl } from './transport/flow-control';
import { HandshakeService } from './transport/handshake.service';
import { HeartbeatService } from './transport/heartbeat.service';

/** The gateway: WebSocket dialects, the hub, heartbeats and drain. Needs CoreModule. */
@Module({
  providers: [
    HandshakeService,
    HubService,
    ClientIdsService,
    SignalingService,
    HeartbeatService,
    DrainService,
    FlowControl,
    // Each dialect's gateway, once (several dialects may share one).
    ...new Set(DIALECTS.map((d) => d.gateway)),
  ],
  exports: [HubService, ClientIdsService, HandshakeService, DrainService, FlowControl],
})
export class GatewayModule implements OnModuleInit {
  constructor(
    private readonly readiness: Readiness,
    private readonly handshake: HandshakeService,
  ) {}

  onModuleInit(): void {
    this.readiness.register('gateway', () => !this.handshake.isDraining || 'draining');
  }
}
