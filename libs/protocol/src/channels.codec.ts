import { invalid, renderSessionReply, TypedCodec, withPublishId } from './codec';
import { ErrorCode } from './codes';
import type { Command, DecodeError, JoinPosition, Reply } from './commands';
import { guest, type HubEvent, type Sender } from './events';
import { isRoomName } from './room-name';
import { withSince } from './since';

/**
 * The channels dialect (seed 003), spoken on `/api/v1/ws`. A channel is a room. Timestamps
 * are ISO-8601 strings; people are named by `user_email` (the JWT's email claim).
 */
export class ChannelsCodec extends TypedCodec {
  readonly name = 'channels';

  protected command(type: string, msg: Record<string, unknown>): Command | DecodeError {
    switch (type) {
      case 'join_channel':
        return withChannel(type, msg.channel_id, (room) =>
          withSince(type, msg.since, (since): Command => (since === undefined ? { kind: 'join', room, style: 'channel' } : { kind: 'join', room, style: 'channel', since })),
        );
      case 'leave_channel':
        return withChannel(type, msg.channel_id, (room) => ({ kind: 'leave', room }));
      case 'message':
        // Live chat to a channel joined here (stored messages go through POST /api/v1/messages).
        if (typeof msg.content !== 'string' && msg.data === undefined) return invalid(ErrorCode.BadField, '"message" needs "content" (a string) or "data"');
        return withChannel(type, msg.channel_id, (room) =>
          withPublishId(type, msg.id, (id): Command => {
            const command: Command = { kind: 'say', room, content: typeof msg.content === 'string' ? msg.content : undefined, data: msg.data };
            return id === undefined ? command : { ...command, id };
          }),
        );
      case 'ping':
        return { kind: 'ping' };
      default:
        return invalid(ErrorCode.UnknownType, `unknown message type "${type.slice(0, 64)}"`);
    }
  }

  render(event: HubEvent): string | undefined {
    const timestamp = new Date(event.ts).toISOString();
    switch (event.kind) {
      case 'new_message':
      case 'message_updated':
      case 'message_deleted':
        return JSON.stringify({ type: event.kind, channel_id: event.room, timestamp, data: event.data, offset: event.offset, epoch: event.epoch });
      case 'join':
      case 'leave':
        return membership(event.kind === 'join', event.room, event.from, timestamp);
      case 'message':
        // Live chat from rooms-dialect clients in the same room (not stored).
        return JSON.stringify({
          type: 'message',
          channel_id: event.room,
          user_email: event.from.email ?? null,
          guest: guest(event.from),
          username: event.from.name,
          content: event.content,
          data: event.data,
          timestamp,
          offset: event.offset,
          epoch: event.epoch,
        });
      case 'notification':
      case 'system_message':
      case 'room_message':
        return JSON.stringify({ type: event.kind, channel_id: event.room, data: event.data, timestamp, offset: event.offset, epoch: event.epoch });
      case 'private_message':
        return JSON.stringify({
          type: 'private_message',
          user_email: event.from?.email ?? null,
          guest: guest(event.from),
          username: event.from?.name,
          content: event.content,
          data: event.data,
          timestamp,
        });
    }
  }

  renderReply(reply: Reply): string | undefined {
    const timestamp = new Date().toISOString();
    switch (reply.kind) {
      case 'joined':
        return membership(true, reply.room, reply.who, timestamp, reply);
      case 'left':
        return membership(false, reply.room, reply.who, timestamp);
      case 'pong':
        return JSON.stringify({ type: 'pong', timestamp: new Date(reply.ts).toISOString() });
      case 'error':
        return JSON.stringify({ type: 'error', message: reply.message, code: reply.code, re: reply.re, channel_id: reply.room, id: reply.id, timestamp });
      case 'user_list':
        return undefined;
      default:
        return renderSessionReply(reply);
    }
  }
}

export const channelsCodec = new ChannelsCodec();

/** `channel_joined` / `channel_left`: to the member itself as confirmation, and to the others. */
function membership(joined: boolean, room: string, who: Sender, timestamp: string, at?: JoinPosition): string {
  return JSON.stringify({
    type: joined ? 'channel_joined' : 'channel_left',
    channel_id: room,
    user_email: who.email ?? null,
    guest: guest(who),
    username: who.name,
    timestamp,
    epoch: at?.position?.epoch,
    offset: at?.position?.offset,
    recovered: at?.recovered,
    resume_token: at?.resumeToken,
    gap: at?.gap,
  });
}

function withChannel(type: string, channel: unknown, make: (room: string) => Command | DecodeError): Command | DecodeError {
  if (channel === undefined || channel === null || channel === '') {
    return invalid(ErrorCode.BadField, `"${type}" needs "channel_id"`);
  }
  if (!isRoomName(channel)) {
    return invalid(ErrorCode.BadField, `invalid channel_id for "${type}": use 1-128 letters, digits or _ - . : @ #`);
  }
  return make(channel);
}
