import { Module, type OnModuleInit } from '@nestjs/common';
import { Readiness } from '@switchboard/core';
import { DIALECT_TABLE } from './dialects/dialect';
import { DIALECTS } from './dialects/dialects';
import { Broadcaster } from './hub/broadcaster';
import { ClientIdsService } from './hub/client-ids.service';
import { ClusterNode } from './hub/cluster-node';
import { HubService } from './hub/hub.service';
import { LocalIndex } from './hub/local-index';
import { SignalingService } from './signaling/signaling.service';
import { CONNECTIONS } from './transport/connection-registry';
import { DrainService } from './transport/drain.service';
import { FlowControl } from './transport/flow-control';
import { HandshakeService } from './transport/handshake.service';
import { HeartbeatService } from './transport/heartbeat.service';
import { SessionCloserService } from './transport/session-closer.service';

/** The gateway: WebSocket dialects, the hub, heartbeats and drain. Needs CoreModule. */
@Module({
  providers: [
    LocalIndex,
    { provide: CONNECTIONS, useExisting: LocalIndex },
    ClusterNode,
    Broadcaster,
    HubService,
    ClientIdsService,
    SignalingService,
    HandshakeService,
    HeartbeatService,
    DrainService,
    FlowControl,
    SessionCloserService,
    { provide: DIALECT_TABLE, useValue: DIALECTS },
    // Each dialect's gateway, once (several dialects may share one).
    ...new Set(DIALECTS.map((d) => d.gateway)),
  ],
  exports: [HubService, ClusterNode, ClientIdsService, CONNECTIONS, HandshakeService, DrainService, FlowControl],
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
