import { BadRequestException, Body as RawBody, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, UseGuards } from '@nestjs/common';
import { isRoomName } from '../../../../libs/protocol/src';
import { AuthGuard, CurrentPrincipal } from '../auth/auth.guard';
import type { Principal } from '../auth/credentials.service';
import { Body } from '../http/body';
import { HISTORY_DEFAULT_LIMIT } from '../store/message.store';
import { messageJson } from './message-events';
import { MessagesService } from './messages.service';

const CHANNEL = { max: 128, pattern: /^[A-Za-z0-9_.:@#-]{1,128}$/, what: '1-128 letters, digits or _ - . : @ #' };
const CONTENT = { max: 4000 };

/** Seed 003's messages: create, edit and delete (author only), and channel history. */
@Controller('api/v1')
@UseGuards(AuthGuard)
export class MessagesController {
  constructor(private readonly messages: MessagesService) {}

  @Post('messages')
  async create(@CurrentPrincipal() p: Principal, @RawBody() raw: unknown) {
    const body = Body.of(raw);
    const channelId = body.string('channel_id', CHANNEL);
    const content = body.string('content', CONTENT);
    return { success: true, data: messageJson(await this.messages.create(p.identity, channelId, content)) };
  }

  @Patch('messages/:id')
  async update(@CurrentPrincipal() p: Principal, @Param('id') id: string, @RawBody() raw: unknown) {
    const content = Body.of(raw).string('content', CONTENT);
    return { success: true, data: messageJson(await this.messages.update(p.identity, id, content)) };
  }

  @Delete('messages/:id')
  @HttpCode(200)
  async delete(@CurrentPrincipal() p: Principal, @Param('id') id: string) {
    const m = await this.messages.delete(p.identity, id);
    return { success: true, data: { id: m.id, channel_id: m.channelId } };
  }

  @Get('channels/:id/messages')
  async history(@CurrentPrincipal() p: Principal, @Param('id') channelId: string, @Query('limit') limit?: string, @Query('before') before?: string) {
    if (!isRoomName(channelId)) throw new BadRequestException('invalid channel id');
    let pageSize: number | undefined;
    if (limit !== undefined) {
      pageSize = Number(limit);
      if (!/^\d+$/.test(limit) || pageSize < 1 || pageSize > 100) throw new BadRequestException('"limit" must be a whole number from 1 to 100');
    }
    const page = await this.messages.history(p.identity, channelId, pageSize, before || undefined);
    const full = page.length === (pageSize ?? HISTORY_DEFAULT_LIMIT);
    return {
      success: true,
      data: page.map(messageJson),
      // Pass next_before as ?before= for the next (older) page; null when this page is the last.
      next_before: full ? page[page.length - 1].id : null,
    };
  }
}
