import { UseFilters } from '@nestjs/common';
import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { Command, Reply } from '../../../../libs/protocol/src';
import { DialectGateway } from '../hub/dialect.gateway';
import { HubService } from '../hub/hub.service';
import { CommandErrorFilter } from '../transport/command-error.filter';
import type { Connection } from '../transport/connection';

type Of<K extends Command['kind']> = Extract<Command, { kind: K }>;

/**
 * The rooms dialect (seeds 001 and 002) on `/ws`, `/ws/{room}`, `/ws/auth`, `/ws/auth/{room}`.
 * Thin: the adapter authenticated and decoded; each handler hands one command to the hub
 * and returns the reply, which goes back to the asking connection.
 */
@WebSocketGateway({ path: '/ws' })
@UseFilters(CommandErrorFilter)
export class RoomsGateway extends DialectGateway {
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

  @SubscribeMessage('say')
  say(@ConnectedSocket() conn: Connection, @MessageBody() cmd: Of<'say'>): Promise<void> {
    return this.hub.say(conn, cmd.room, cmd.content, cmd.data);
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

  @SubscribeMessage('ping')
  ping(): Reply {
    return { kind: 'pong', ts: Date.now() };
  }
}
