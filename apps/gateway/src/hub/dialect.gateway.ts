import { ConnectedSocket, MessageBody, type OnGatewayConnection, type OnGatewayDisconnect, SubscribeMessage } from '@nestjs/websockets';
import type { Command, Reply } from '@switchboard/protocol';
import type { Connection } from '../transport/connection';
import type { HubService } from './hub.service';

export type Of<K extends Command['kind']> = Extract<Command, { kind: K }>;

/**
 * What every dialect's gateway does: hand connections to the hub, and join, leave, ping.
 * Thin: the adapter authenticated and decoded; each handler hands one command to the hub
 * and returns the reply, which goes back to the asking connection.
 */
export abstract class DialectGateway implements OnGatewayConnection, OnGatewayDisconnect {
  protected constructor(protected readonly hub: HubService) {}

  handleConnection(conn: Connection): void {
    conn.run(() => this.hub.connect(conn));
    const initial = conn.initialRoom;
    if (initial !== undefined) conn.run(() => this.hub.join(conn, initial.room, initial.style, { since: initial.since }));
  }

  handleDisconnect(conn: Connection): void {
    conn.run(() => this.hub.disconnect(conn));
  }

  @SubscribeMessage('join')
  join(@ConnectedSocket() conn: Connection, @MessageBody() cmd: Of<'join'>): Promise<Reply | undefined> {
    return this.hub.join(conn, cmd.room, cmd.style, { since: cmd.since });
  }

  @SubscribeMessage('leave')
  leave(@ConnectedSocket() conn: Connection, @MessageBody() cmd: Of<'leave'>): Promise<Reply | undefined> {
    return this.hub.leave(conn, cmd.room);
  }

  @SubscribeMessage('ping')
  ping(): Reply {
    return { kind: 'pong', ts: Date.now() };
  }
}
