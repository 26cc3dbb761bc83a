import { UseFilters } from '@nestjs/common';
import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { CommandOf } from '@switchboard/protocol';
import { DialectGateway } from '../hub/dialect.gateway';
import { MembershipService } from '../hub/membership.service';
import { MessagingService } from '../hub/messaging.service';
import type { Connection } from '../transport/connection';
import { CommandErrorFilter } from '../transport/command-error.filter';

/**
 * The channels dialect (seed 003) on `/api/v1/ws?channel_id=...`, JWT required: join,
 * leave and ping, and live chat (`message`, acknowledged with an `id`). Channels are rooms:
 * stored-message lifecycle events published by the api reach members here as `new_message` /
 * `message_updated` / `message_deleted`.
 */
@WebSocketGateway({ path: '/api/v1/ws' })
@UseFilters(CommandErrorFilter)
export class ChannelsGateway extends DialectGateway {
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
}
