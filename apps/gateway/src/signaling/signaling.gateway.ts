import { UseFilters } from '@nestjs/common';
import { ConnectedSocket, MessageBody, type OnGatewayConnection, type OnGatewayDisconnect, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { CommandOf, Reply } from '@switchboard/protocol';
import { CommandErrorFilter } from '../transport/command-error.filter';
import type { Connection } from '../transport/connection';
import { SignalingService } from './signaling.service';

/**
 * The signaling dialect (seed 004) on `/signaling`: rooms of WebRTC peers and the relay of
 * offers, answers and ICE candidates between them. Thin: each handler hands one command to
 * the signaling service.
 */
@WebSocketGateway({ path: '/signaling' })
@UseFilters(CommandErrorFilter)
export class SignalingGateway implements OnGatewayConnection, OnGatewayDisconnect {
  constructor(private readonly signaling: SignalingService) {}

  handleConnection(conn: Connection): void {
    conn.run(() => this.signaling.connect(conn));
  }

  handleDisconnect(conn: Connection): void {
    conn.run(() => this.signaling.disconnect(conn));
  }

  @SubscribeMessage('create_room')
  createRoom(@ConnectedSocket() conn: Connection): Promise<Reply> {
    return this.signaling.createRoom(conn);
  }

  @SubscribeMessage('join')
  join(@ConnectedSocket() conn: Connection, @MessageBody() cmd: CommandOf<'join'>): Promise<Reply> {
    return this.signaling.joinRoom(conn, cmd.room);
  }

  @SubscribeMessage('leave')
  leave(@ConnectedSocket() conn: Connection, @MessageBody() cmd: CommandOf<'leave'>): Promise<void> {
    return this.signaling.leaveRoom(conn, cmd.room);
  }

  @SubscribeMessage('leave_all')
  leaveAll(@ConnectedSocket() conn: Connection): Promise<void> {
    return this.signaling.leaveAll(conn);
  }

  @SubscribeMessage('relay')
  relay(@ConnectedSocket() conn: Connection, @MessageBody() cmd: CommandOf<'relay'>): void {
    this.signaling.relay(conn, cmd.type, cmd.to, cmd.data);
  }

  @SubscribeMessage('resume')
  resume(@ConnectedSocket() conn: Connection, @MessageBody() cmd: CommandOf<'resume'>): Promise<Reply> {
    return this.signaling.resumeCommand(conn, cmd.token);
  }

  @SubscribeMessage('ping')
  ping(): Reply {
    return { kind: 'pong', ts: Date.now() };
  }
}
