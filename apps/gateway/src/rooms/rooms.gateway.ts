import { UseFilters } from '@nestjs/common';
import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { Reply } from '@switchboard/protocol';
import { DialectGateway, type Of } from '../hub/dialect.gateway';
import { HubService } from '../hub/hub.service';
import { CommandErrorFilter } from '../transport/command-error.filter';
import type { Connection } from '../transport/connection';

/**
 * The rooms dialect (seeds 001 and 002) on `/ws`, `/ws/{room}`, `/ws/auth`, `/ws/auth/{room}`:
 * join, leave and ping, plus chat, broadcast, private messages and member lists.
 */
@WebSocketGateway({ path: '/ws' })
@UseFilters(CommandErrorFilter)
export class RoomsGateway extends DialectGateway {
  constructor(hub: HubService) {
    super(hub);
  }

  @SubscribeMessage('say')
  say(@ConnectedSocket() conn: Connection, @MessageBody() cmd: Of<'say'>): void {
    this.hub.say(conn, cmd.room, cmd.content, cmd.data);
  }

  @SubscribeMessage('broadcast')
  broadcast(@ConnectedSocket() conn: Connection, @MessageBody() cmd: Of<'broadcast'>): Promise<void> {
    return this.hub.broadcast(conn, cmd.data);
  }

  @SubscribeMessage('private')
  privateMessage(@ConnectedSocket() conn: Connection, @MessageBody() cmd: Of<'private'>): Promise<void> {
    return this.hub.privateMessage(conn, cmd.to, cmd.content, cmd.data);
  }

  @SubscribeMessage('list')
  list(@ConnectedSocket() conn: Connection, @MessageBody() cmd: Of<'list'>): Promise<Reply> {
    return this.hub.list(conn, cmd.room);
  }
}
