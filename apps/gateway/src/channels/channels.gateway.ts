import { UseFilters } from '@nestjs/common';
import { WebSocketGateway } from '@nestjs/websockets';
import { DialectGateway } from '../hub/dialect.gateway';
import { MembershipService } from '../hub/membership.service';
import { CommandErrorFilter } from '../transport/command-error.filter';

/**
 * The channels dialect (seed 003) on `/api/v1/ws?channel_id=...`, JWT required: join,
 * leave and ping. Channels are rooms: stored-message lifecycle events published by the api
 * reach members here as `new_message` / `message_updated` / `message_deleted`.
 */
@WebSocketGateway({ path: '/api/v1/ws' })
@UseFilters(CommandErrorFilter)
export class ChannelsGateway extends DialectGateway {
  constructor(membership: MembershipService) {
    super(membership);
  }
}
