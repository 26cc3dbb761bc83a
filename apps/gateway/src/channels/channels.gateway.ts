import { UseFilters } from '@nestjs/common';
import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { Command, Reply } from '../../../../libs/protocol/src';
import { DialectGateway } from '../hub/dialect.gateway';
import { HubService } from '../hub/hub.service';
import { CommandErrorFilter } from '../transport/command-error.filter';
import type { Connection } from '../transport/connection';

type Of<K extends Command['kind']> = Extract<Command, { kind: K }>;

/**
 * The channels dialect (seed 003) on `/api/v1/ws?channel_id=...`, JWT required. Channels
 * are rooms: stored-message lifecycle events published by the api reach members here as
 * `new_message` / `message_updated` / `message_deleted`.
 */
@WebSocketGateway({ path: '/api/v1/ws' })
@UseFilters(CommandErrorFilter)
export class ChannelsGateway extends DialectGateway {
  constructor(hub: HubService) {
    super(hub);
  }

  @SubscribeMessage('join')
  join(@ConnectedSocket() conn: Connection, @MessageBody() cmd: Of<'join'>): Promise<Reply> {
    return this.hub.join(conn, cmd.room, cmd.style);
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
