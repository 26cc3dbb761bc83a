import { type ExecutionContext, Controller, ForbiddenException, Get, Inject, Injectable, NotFoundException, Param, UseGuards } from '@nestjs/common';
import { CONFIG, type SwitchboardConfig } from '@switchboard/config';
import { PRESENCE, type Presence } from '@switchboard/presence';
import { isRoomName, roomAllowed } from '@switchboard/protocol';
import { AuthGuard, CurrentPrincipal } from '../auth/auth.guard';
import { CredentialsService, type Principal } from '../auth/credentials.service';

/** AuthGuard only when STATS_REQUIRE_AUTH is set (seed 003 documents the stats open). */
@Injectable()
export class StatsGuard extends AuthGuard {
  constructor(
    credentials: CredentialsService,
    @Inject(CONFIG) private readonly config: SwitchboardConfig,
  ) {
    super(credentials);
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    return !this.config.api.statsRequireAuth || super.canActivate(context);
  }
}

/** Only the rooms a credential may join (all of them for a token without a `rooms` claim, or no credential). */
function visible(rooms: Record<string, number>, principal: Principal | undefined): Record<string, number> {
  const patterns = principal?.identity.rooms;
  if (patterns === undefined) return rooms;
  return Object.fromEntries(Object.entries(rooms).filter(([room]) => roomAllowed(patterns, room)));
}

/** Cluster-wide counts from presence (every live replica), in seeds 002 and 003's shapes. */
@Controller('api/v1')
export class StatsController {
  constructor(@Inject(PRESENCE) private readonly presence: Presence) {}

  /** Seed 003: `{success, data: {total_clients, channels: {id: count}}}`; with STATS_REQUIRE_AUTH only the caller's rooms. */
  @Get('ws/stats')
  @UseGuards(StatsGuard)
  async stats(@CurrentPrincipal() principal: Principal | undefined) {
    const [nodes, all] = await Promise.all([this.presence.nodes(), this.presence.rooms()]);
    const total = Object.values(nodes).reduce((a, b) => a + b, 0);
    return { success: true, data: { total_clients: total, channels: visible(all, principal), replicas: Object.keys(nodes).length } };
  }

  /** Seed 002's GetRoomCount: every non-empty room the credential may join, with its member count. */
  @Get('rooms')
  @UseGuards(AuthGuard)
  async rooms(@CurrentPrincipal() principal: Principal) {
    const rooms = visible(await this.presence.rooms(), principal);
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
      data: { room, count: members.length, clients: members.map((m) => ({ client_id: m.clientId, user_id: m.userId, guest: m.guest || undefined, username: m.username })) },
    };
  }
}
