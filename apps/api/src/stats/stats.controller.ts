import { Controller, ForbiddenException, Get, Inject, NotFoundException, Param, UseGuards } from '@nestjs/common';
import { PRESENCE, type Presence } from '../../../../libs/presence/src/presence';
import { isRoomName, roomAllowed } from '../../../../libs/protocol/src';
import { AuthGuard, CurrentPrincipal } from '../auth/auth.guard';
import type { Principal } from '../auth/credentials.service';

/** Cluster-wide counts from presence (every live replica), in seeds 002 and 003's shapes. */
@Controller('api/v1')
export class StatsController {
  constructor(@Inject(PRESENCE) private readonly presence: Presence) {}

  /** Seed 003: `{success, data: {total_clients, channels: {id: count}}}`. */
  @Get('ws/stats')
  async stats() {
    const [nodes, channels] = await Promise.all([this.presence.nodes(), this.presence.rooms()]);
    const total = Object.values(nodes).reduce((a, b) => a + b, 0);
    return { success: true, data: { total_clients: total, channels, replicas: Object.keys(nodes).length } };
  }

  /** Seed 002's GetRoomCount: every non-empty room with its member count. */
  @Get('rooms')
  @UseGuards(AuthGuard)
  async rooms() {
    const rooms = await this.presence.rooms();
    return { success: true, data: { count: Object.keys(rooms).length, rooms } };
  }

  /** Seed 002's GetRoomClients: who is in a room (only for credentials allowed in it). */
  @Get('rooms/:room/clients')
  @UseGuards(AuthGuard)
  async clients(@Param('room') room: string, @CurrentPrincipal() principal: Principal) {
    if (!isRoomName(room)) throw new NotFoundException('no such room');
    if (!roomAllowed(principal.identity.rooms, room)) throw new ForbiddenException(`not allowed to see room "${room}"`);
    const members = await this.presence.members(room);
    return {
      success: true,
      data: { room, count: members.length, clients: members.map((m) => ({ client_id: m.clientId, user_id: m.userId, username: m.username })) },
    };
  }
}
