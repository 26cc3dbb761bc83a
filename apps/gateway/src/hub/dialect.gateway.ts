import type { OnGatewayConnection, OnGatewayDisconnect } from '@nestjs/websockets';
import type { Connection } from '../transport/connection';
import type { HubService } from './hub.service';

/** What every dialect's gateway does on connect and disconnect: hand the connection to the hub. */
export abstract class DialectGateway implements OnGatewayConnection, OnGatewayDisconnect {
  protected constructor(protected readonly hub: HubService) {}

  handleConnection(conn: Connection): void {
    conn.run(() => this.hub.connect(conn));
    const initial = conn.initialRoom;
    if (initial !== undefined) conn.run(() => this.hub.join(conn, initial.room, initial.style));
  }

  handleDisconnect(conn: Connection): void {
    conn.run(() => this.hub.disconnect(conn));
  }
}
