import { BadRequestException, Body as RawBody, Controller, ForbiddenException, HttpCode, Inject, Param, Post, ServiceUnavailableException, UseGuards } from '@nestjs/common';
import { can, Permission } from '../../../../libs/auth/src';
import { BUS, type Bus } from '../../../../libs/bus/src/bus';
import { publishToUser } from '../../../../libs/bus/src/publish-to-user';
import { type HubEvent, isRoomName, Topics } from '../../../../libs/protocol/src';
import { AuthGuard, CurrentPrincipal } from '../auth/auth.guard';
import type { Principal } from '../auth/credentials.service';
import { Body } from '../http/body';

const BROADCAST_TYPES = ['notification', 'system_message'] as const;
const ROOM_TYPES = ['room_message', 'notification', 'system_message'] as const;

/**
 * Server-side publish, seed 002's hub methods over HTTP: BroadcastToAll, BroadcastToRoom,
 * BroadcastToUser. Only for credentials with the `broadcast` permission; a malformed body
 * is a 400 and nothing is published.
 */
@Controller()
@UseGuards(AuthGuard)
export class PublishController {
  constructor(@Inject(BUS) private readonly bus: Bus) {}

  @Post('broadcast')
  @HttpCode(202)
  async broadcast(@CurrentPrincipal() principal: Principal, @RawBody() raw: unknown) {
    this.mayPublish(principal);
    const body = Body.of(raw);
    const kind = typeOf(body, BROADCAST_TYPES, 'notification');
    const event: HubEvent = { kind, data: body.value('data'), from: from(principal), ts: Date.now() };
    return this.publish(() => this.bus.publish(Topics.broadcast(), event));
  }

  @Post('api/v1/rooms/:room/broadcast')
  @HttpCode(202)
  async room(@CurrentPrincipal() principal: Principal, @Param('room') room: string, @RawBody() raw: unknown) {
    this.mayPublish(principal);
    if (!isRoomName(room)) throw new BadRequestException('invalid room name: use 1-128 letters, digits or _ - . : @ #');
    const body = Body.of(raw);
    const kind = typeOf(body, ROOM_TYPES, 'room_message');
    const event: HubEvent = { kind, room, data: body.value('data'), from: from(principal), ts: Date.now() };
    return this.publish(() => this.bus.publish(Topics.room(room), event));
  }

  @Post('api/v1/users/:id/messages')
  @HttpCode(202)
  async user(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @RawBody() raw: unknown) {
    this.mayPublish(principal);
    if (!/^[\w.@:-]{1,128}$/.test(id)) throw new BadRequestException('invalid user id');
    const body = Body.of(raw);
    const content = body.optionalString('content', { max: 64 * 1024 });
    const data = body.optional('data');
    if (content === undefined && data === undefined) throw new BadRequestException('"content" or "data" is required');
    const event: HubEvent = { kind: 'private_message', to: id, from: from(principal), content, data, ts: Date.now() };
    return this.publish(() => publishToUser(this.bus, id, event));
  }

  private mayPublish(principal: Principal): void {
    if (!can(principal.identity, Permission.Broadcast)) {
      throw new ForbiddenException('server-side publish needs credentials with the "broadcast" permission');
    }
  }

  private async publish(send: () => Promise<number>) {
    let replicas: number;
    try {
      replicas = await send();
    } catch {
      throw new ServiceUnavailableException('message bus unavailable; nothing was published, retry');
    }
    // How many replicas had an interested connection (0: nobody received it).
    return { success: true, data: { replicas } };
  }
}

function typeOf<T extends string>(body: Body, allowed: readonly T[], fallback: T): T {
  const type = body.optionalString('type');
  if (type === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(type)) throw new BadRequestException(`"type" must be one of ${allowed.join(', ')}`);
  return type as T;
}

function from(principal: Principal) {
  return { id: principal.identity.userId, name: principal.identity.username };
}
