import { UseFilters } from '@nestjs/common';
import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { CommandOf, Reply } from '@switchboard/protocol';
import { MembershipService } from '../hub/membership.service';
import { MessagingService } from '../hub/messaging.service';
import { CommandErrorFilter } from '../transport/command-error.filter';
import type { Connection } from '../transport/connection';
import { DialectGateway } from '../hub/dialect.gateway';

/**
 * The rooms dialect (seeds 001 and 002) on `/ws`, `/ws/{room}`, `/ws/auth`, `/ws/auth/{room}`:
 * join, leave and ping, plus chat, broadcast, private messages and member lists.
 */
@WebSocketGateway({ path: '/ws' })
@UseFilters(CommandErrorFilter)
export class RoomsGateway extends DialectGateway {
  constructor(
    membership: MembershipService,
    private readonly messaging: MessagingService,
  ) {
    super(membership);
  }

  @SubscribeMessage('say')
  say(@ConnectedSocket() conn: Connection, @MessageBody() cmd: CommandOf<'say'>): void {
    this.messaging.say(conn, cmd.room, cmd.content, cmd.data, cmd.id);
  }

  @SubscribeMessage('broadcast')
  broadcast(@ConnectedSocket() conn: Connection, @MessageBody() cmd: CommandOf<'broadcast'>): Promise<void> {
    return this.messaging.broadcast(conn, cmd.data);
  }

  @SubscribeMessage('private')
  privateMessage(@ConnectedSocket() conn: Connection, @MessageBody() cmd: CommandOf<'private'>): Promise<void> {
    return this.messaging.privateMessage(conn, cmd.to, cmd.content, cmd.data);
  }

  @SubscribeMessage('list')
  list(@ConnectedSocket() conn: Connection, @MessageBody() cmd: CommandOf<'list'>): Promise<Reply> {
    return this.membership.list(conn, cmd.room);
  }
}
