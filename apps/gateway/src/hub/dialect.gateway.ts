import { ConnectedSocket, MessageBody, type OnGatewayConnection, type OnGatewayDisconnect, SubscribeMessage } from '@nestjs/websockets';
import type { CommandOf, Reply } from '@switchboard/protocol';
import type { Connection } from '../transport/connection';
import type { MembershipService } from './membership.service';

/**
 * What the gateway of every dialect that joins rooms does: hand connections to membership,
 * and join, leave, ping. Thin: the adapter authenticated and decoded; each handler hands one
 * command to a service and returns the reply, which goes back to the asking connection.
 */
export abstract class DialectGateway implements OnGatewayConnection, OnGatewayDisconnect {
  protected constructor(protected readonly membership: MembershipService) {}

  handleConnection(conn: Connection): void {
    conn.run(() => this.membership.connect(conn));
    const initial = conn.initialRoom;
    if (initial !== undefined) conn.run(() => this.membership.join(conn, initial.room, initial.style, { since: initial.since }));
    for (const r of conn.resumeRooms) conn.run(() => this.membership.join(conn, r.room, r.style, { since: r.since }));
  }

  handleDisconnect(conn: Connection): void {
    conn.run(() => this.membership.disconnect(conn));
  }

  @SubscribeMessage('join')
  join(@ConnectedSocket() conn: Connection, @MessageBody() cmd: CommandOf<'join'>): Promise<Reply | undefined> {
    return this.membership.join(conn, cmd.room, cmd.style, { since: cmd.since });
  }

  @SubscribeMessage('leave')
  leave(@ConnectedSocket() conn: Connection, @MessageBody() cmd: CommandOf<'leave'>): Promise<Reply | undefined> {
    return this.membership.leave(conn, cmd.room);
  }

  @SubscribeMessage('ping')
  ping(): Reply {
    return { kind: 'pong', ts: Date.now() };
  }
}
