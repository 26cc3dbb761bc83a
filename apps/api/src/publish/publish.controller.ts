import { BadRequestException, Body, Controller, ForbiddenException, HttpCode, Inject, Logger, type OnModuleDestroy, Param, Post, ServiceUnavailableException, UseGuards, UsePipes } from '@nestjs/common';
import { ApiAcceptedResponse, ApiTags } from '@nestjs/swagger';
import { Authenticator, can, Permission } from '@switchboard/auth';
import { BUS, type Bus, PublishUnconfirmed, publishToUser, type UserRouting } from '@switchboard/bus';
import { CONFIG, type SwitchboardConfig } from '@switchboard/config';
import { LogCoalescer, Metrics } from '@switchboard/observability';
import { type HubEvent, isRoomName, Topics } from '@switchboard/protocol';
import { AuthGuard, CurrentPrincipal } from '../auth/auth.guard';
import type { Principal } from '../auth/credentials.service';
import { ApiCredentials, ApiErrors } from '../http/openapi';
import { ApiValidationPipe } from '../http/validation';
import { BroadcastDto, DeliveredDto, PublishedDto, RoomBroadcastDto, UserMessageDto } from './publish.dto';

/**
 * Server-side publish, seed 002's hub methods over HTTP: BroadcastToAll, BroadcastToRoom,
 * BroadcastToUser. Only for credentials with the `broadcast` permission; a malformed body
 * is a 400 and nothing is published.
 */
@ApiTags('publish')
@ApiCredentials()
@ApiErrors(400, 403, 503)
@UsePipes(ApiValidationPipe)
@Controller()
@UseGuards(AuthGuard)
export class PublishController implements OnModuleDestroy {
  private readonly logger = new Logger('Publish');
  /** During a bus outage every publish fails alike: one line, then one per interval with a count. */
  private readonly warnings = new LogCoalescer((entry) => this.logger.warn(entry));
  /** Whether a user id may reach a guest (WEBSOCKET_GUEST_ID_NAMESPACE, registered users). */
  private readonly userRouting: UserRouting;

  constructor(
    @Inject(BUS) private readonly bus: Bus,
    private readonly metrics: Metrics,
    @Inject(CONFIG) config: SwitchboardConfig,
    auth: Authenticator,
  ) {
    this.userRouting = { guestIdNamespace: config.ws.guestIdNamespace, isRegistered: (userId) => auth.isRegistered(userId) };
  }

  @Post('broadcast')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: PublishedDto })
  async broadcast(@CurrentPrincipal() principal: Principal, @Body() body: BroadcastDto) {
    this.mayPublish(principal);
    const event: HubEvent = { kind: body.type ?? 'notification', data: body.data, from: from(principal), ts: Date.now() };
    return this.publish('broadcast', () => this.bus.publish(Topics.broadcast(), event));
  }

  @Post('api/v1/rooms/:room/broadcast')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: PublishedDto })
  async room(@CurrentPrincipal() principal: Principal, @Param('room') room: string, @Body() body: RoomBroadcastDto) {
    this.mayPublish(principal);
    if (!isRoomName(room)) throw new BadRequestException('invalid room name: use 1-128 letters, digits or _ - . : @ #');
    const event: HubEvent = { kind: body.type ?? 'room_message', room, data: body.data, from: from(principal), ts: Date.now() };
    return this.publish(`room ${room}`, () => this.bus.publish(Topics.room(room), event));
  }

  /**
   * A private message to every connection of user `id` (a guest named so only when no registered
   * user has that id). Nothing is stored: when nobody received it the answer says so
   * (`delivered: false` with a reason).
   */
  @Post('api/v1/users/:id/messages')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: DeliveredDto })
  async user(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: UserMessageDto) {
    this.mayPublish(principal);
    if (!/^[\w.@:-]{1,128}$/.test(id)) throw new BadRequestException('invalid user id');
    const event: HubEvent = { kind: 'private_message', to: id, from: from(principal), content: body.content, data: body.data, ts: Date.now() };
    const answer = await this.publish(`user ${id}`, () => publishToUser(this.bus, id, event, this.userRouting));
    const delivered = answer.data.replicas > 0;
    return { success: true, data: { ...answer.data, delivered, ...(delivered ? {} : { reason: `user "${id}" is not connected; nothing was delivered` }) } };
  }

  onModuleDestroy(): void {
    this.warnings.flush();
  }

  private mayPublish(principal: Principal): void {
    if (!can(principal.identity, Permission.Broadcast)) {
      throw new ForbiddenException('server-side publish needs credentials with the "broadcast" permission');
    }
  }

  private async publish(target: string, send: () => Promise<number>) {
    let replicas: number;
    try {
      replicas = await send();
    } catch (err) {
      this.metrics.errors.labels('api_publish_failed').inc();
      const error = (err as Error).message;
      this.warnings.log('publish failed', { msg: 'server-side publish failed; answered 503', target, error });
      if (err instanceof PublishUnconfirmed) throw new ServiceUnavailableException('message bus did not confirm in time; it may have been published');
      throw new ServiceUnavailableException('message bus unavailable; nothing was published, retry');
    }
    // How many replicas had an interested connection (0: nobody received it).
    return { success: true, data: { replicas } };
  }
}

function from(principal: Principal) {
  return { id: principal.identity.userId, name: principal.identity.username };
}
