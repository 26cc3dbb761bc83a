import { BadRequestException, Body, Controller, Delete, Get, Headers, HttpCode, Param, Patch, Post, Query, UseGuards, UsePipes } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import { isRoomName } from '@switchboard/protocol';
import { AuthGuard, CurrentPrincipal } from '../auth/auth.guard';
import type { Principal } from '../auth/credentials.service';
import { ApiCredentials, ApiErrors } from '../http/openapi';
import { ApiValidationPipe } from '../http/validation';
import { HISTORY_DEFAULT_LIMIT } from '../store/message.store';
import { messageJson } from './message-events';
import { CreateMessageDto, DeletedMessageDto, HistoryDto, MessageDto, UpdateMessageDto } from './messages.dto';
import { MessagesService } from './messages.service';

/** Seed 003's messages: create, edit and delete (author only), and channel history. */
@ApiTags('messages')
@ApiCredentials()
@UsePipes(ApiValidationPipe)
@Controller('api/v1')
@UseGuards(AuthGuard)
export class MessagesController {
  constructor(private readonly messages: MessagesService) {}

  @Post('messages')
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'a repeat with the same key by the same user stores nothing more and answers with the first message' })
  @ApiCreatedResponse({ type: MessageDto, description: 'stored; then `new_message` goes to the channel' })
  @ApiErrors(400, 409)
  async create(@CurrentPrincipal() p: Principal, @Body() body: CreateMessageDto, @Headers('idempotency-key') key?: string) {
    return { success: true, data: messageJson(await this.messages.create(p.identity, body.channel_id, body.content, idempotencyKey(key))) };
  }

  @Patch('messages/:id')
  @ApiOkResponse({ type: MessageDto, description: 'then `message_updated` goes to the channel' })
  @ApiErrors(400, 403, 404)
  async update(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Body() body: UpdateMessageDto) {
    return { success: true, data: messageJson(await this.messages.update(p.identity, id, body.content)) };
  }

  @Delete('messages/:id')
  @HttpCode(200)
  @ApiOkResponse({ type: DeletedMessageDto, description: 'then `message_deleted` goes to the channel' })
  @ApiErrors(403, 404)
  async delete(@CurrentPrincipal() p: Principal, @Param('id') id: string) {
    const m = await this.messages.delete(p.identity, id);
    return { success: true, data: { id: m.id, channel_id: m.channelId } };
  }

  @Get('channels/:id/messages')
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 100, default: HISTORY_DEFAULT_LIMIT } })
  @ApiQuery({ name: 'before', required: false, description: 'a message id: only older messages' })
  @ApiOkResponse({ type: HistoryDto })
  @ApiErrors(400)
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

/** Idempotency-Key: 1 to 255 visible ASCII characters; absent: every request stores a message. */
function idempotencyKey(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (!/^[\x21-\x7e]{1,255}$/.test(header)) throw new BadRequestException('"Idempotency-Key" must be 1 to 255 visible ASCII characters');
  return header;
}
