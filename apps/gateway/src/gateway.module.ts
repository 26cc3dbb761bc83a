import { Module, type OnModuleInit } from '@nestjs/common';
import { Readiness } from '@switchboard/core';
import { ClientIdsService } from './cluster/client-ids.service';
import { ClusterNode } from './cluster/cluster-node';
import { LOCAL_INTEREST } from './cluster/local-interest';
import { UplinkRelayService } from './cluster/uplink-relay.service';
import { DIALECTS } from './dialects';
import { Broadcaster } from './hub/broadcaster';
import { LocalIndex } from './hub/local-index';
import { MembershipService } from './hub/membership.service';
import { MessagingService } from './hub/messaging.service';
import { RoomRecovery } from './hub/room-recovery';
import { CLUSTER_READINESS } from './transport/cluster-readiness';
import { CONNECTIONS } from './transport/connection-registry';
import { DIALECT_TABLE } from './transport/dialect';
import { DrainService } from './transport/drain.service';
import { FlowControl } from './transport/flow-control';
import { HandshakeService } from './transport/handshake.service';
import { HeartbeatService } from './transport/heartbeat.service';
import { SessionCloserService } from './transport/session-closer.service';
import { TokenExpiryService } from './transport/token-expiry.service';
import { UPLINK_RELAY } from './transport/sse/uplink-relay';

/** The gateway: the dialects, membership and messaging, the cluster node, heartbeats and drain. Needs CoreModule. */
@Module({
  providers: [
    LocalIndex,
    { provide: CONNECTIONS, useExisting: LocalIndex },
    { provide: LOCAL_INTEREST, useExisting: LocalIndex },
    ClusterNode,
    { provide: CLUSTER_READINESS, useExisting: ClusterNode },
    ClientIdsService,
    UplinkRelayService,
    { provide: UPLINK_RELAY, useExisting: UplinkRelayService },
    Broadcaster,
    { provide: RoomRecovery, useFactory: (broadcaster: Broadcaster) => new RoomRecovery((conn, codec, event) => broadcaster.toOne(conn, codec, event)), inject: [Broadcaster] },
    MembershipService,
    MessagingService,
    HandshakeService,
    HeartbeatService,
    DrainService,
    FlowControl,
    SessionCloserService,
    TokenExpiryService,
    { provide: DIALECT_TABLE, useValue: DIALECTS },
    // Each dialect's gateway and services, once (several dialects may share them).
    ...new Set(DIALECTS.flatMap((d) => [d.gateway, ...(d.providers ?? [])])),
  ],
  exports: [MembershipService, MessagingService, ClusterNode, ClientIdsService, CONNECTIONS, HandshakeService, DrainService, FlowControl, UPLINK_RELAY],
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
