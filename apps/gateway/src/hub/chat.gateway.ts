import { ConnectedSocket, MessageBody, SubscribeMessage } from '@nestjs/websockets';
import type { CommandOf } from '@switchboard/protocol';
import type { Connection } from '../transport/connection';
import { DialectGateway } from './dialect.gateway';
import type { MembershipService } from './membership.service';
import type { MessagingService } from './messaging.service';

/** A dialect whose clients chat in their rooms: `say`, acknowledged when it carries an `id`. */
export abstract class ChatGateway extends DialectGateway {
  protected constructor(
    membership: MembershipService,
    protected readonly messaging: MessagingService,
  ) {
    super(membership);
  }

  @SubscribeMessage('say')
  say(@ConnectedSocket() conn: Connection, @MessageBody() cmd: CommandOf<'say'>): void {
    this.messaging.say(conn, cmd.room, cmd.content, cmd.data, cmd.id);
  }
}
