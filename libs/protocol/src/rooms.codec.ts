import { invalid, renderSessionReply, TypedCodec, withPublishId } from './codec';
import { ErrorCode } from './codes';
import type { Command, CommandOf, DecodeError, JoinStyle, Reply } from './commands';
import { guest, type HubEvent, type Positioned, type ResumeFrom, type Sender, type StreamPosition } from './events';
import { isRoomName } from './room-name';
import { withSince } from './since';

/**
 * The rooms dialect (seeds 001 and 002), spoken on `/ws`, `/ws/{room}`, `/ws/auth*`.
 * One decoder; two renderings of room chat, chosen by how a member joined:
 * `chat` renders `message` frames (seed 001), `hub` renders `room_message` (seed 002).
 * Everything else renders the same for both. Timestamps are unix seconds.
 */
export class RoomsCodec extends TypedCodec {
  readonly name: string;
  override readonly listsMembersOnJoin = true;

  constructor(private readonly style: 'chat' | 'hub') {
    super();
    this.name = `rooms-${style}`;
  }

  protected command(type: string, msg: Record<string, unknown>): Command | DecodeError {
    switch (type) {
      case 'join':
        return withRoom(type, msg.room, (room) => withSince(type, msg.since, (since) => join(room, 'chat', since)));
      case 'join_room':
        return withRoom(type, msg.data ?? msg.room, (room) => withSince(type, msg.since, (since) => join(room, 'hub', since)));
      case 'leave':
        return withRoom(type, msg.room, (room) => ({ kind: 'leave', room }));
      case 'leave_room':
        return withRoom(type, msg.data ?? msg.room, (room) => ({ kind: 'leave', room }));
      case 'user_list':
        return withRoom(type, msg.room ?? msg.data, (room) => ({ kind: 'list', room }));
      case 'message':
        if (typeof msg.content !== 'string') return missing(type, 'content', 'a string');
        return withRoom(type, msg.room, (room) => withPublishId(type, msg.id, (id) => say({ kind: 'say', room, content: msg.content as string, data: msg.data }, id)));
      case 'room_message': {
        const data = msg.data as Record<string, unknown> | undefined;
        if (typeof data !== 'object' || data === null) return missing(type, 'data', 'an object {room, message}');
        if (data.message === undefined) return missing(type, 'data.message', 'present');
        const { message } = data;
        // The id may sit beside `type` or inside `data`, where seed 002 puts the rest.
        return withRoom(type, data.room, (room) =>
          withPublishId(type, msg.id ?? data.id, (id) => say(typeof message === 'string' ? { kind: 'say', room, content: message } : { kind: 'say', room, data: message }, id)),
        );
      }
      case 'broadcast':
        if (msg.data === undefined && msg.content === undefined) return missing(type, 'data', 'present');
        return { kind: 'broadcast', data: msg.data ?? msg.content };
      case 'private_message': {
        if (typeof msg.user_id !== 'string' || msg.user_id === '') return missing(type, 'user_id', 'a string');
        if (typeof msg.content !== 'string' && msg.data === undefined) return missing(type, 'content', 'a string (or data)');
        return {
          kind: 'private',
          to: msg.user_id,
          content: typeof msg.content === 'string' ? msg.content : undefined,
          data: msg.data,
        };
      }
      case 'ping':
        return { kind: 'ping' };
      default:
        return invalid(ErrorCode.UnknownType, `unknown message type "${type.slice(0, 64)}"`);
    }
  }

  render(event: HubEvent): string | undefined {
    const timestamp = seconds(event.ts);
    switch (event.kind) {
      case 'message':
        if (this.style === 'hub') {
          const data = { room: event.room, message: event.content ?? event.data, user_id: event.from.id, guest: guest(event.from), username: event.from.name };
          return JSON.stringify({ type: 'room_message', room: event.room, data, ...signed(event.from, timestamp, event) });
        }
        return JSON.stringify({ type: 'message', room: event.room, content: event.content ?? JSON.stringify(event.data), data: event.data, ...signed(event.from, timestamp, event) });
      case 'join':
      case 'leave':
        return JSON.stringify({ type: event.kind, room: event.room, user_id: event.from.id, guest: guest(event.from), username: event.from.name, timestamp });
      case 'notification':
      case 'system_message':
      case 'room_message':
        return JSON.stringify({ type: event.kind, room: event.room, data: event.data, ...signed(event.from, timestamp, event) });
      case 'private_message':
        return JSON.stringify({ type: 'private_message', content: event.content, data: event.data, ...signed(event.from, timestamp) });
      case 'new_message':
      case 'message_updated':
      case 'message_deleted':
        return JSON.stringify({ type: event.kind, room: event.room, data: event.data, timestamp, offset: event.offset, epoch: event.epoch });
    }
  }

  renderReply(reply: Reply): string | undefined {
    switch (reply.kind) {
      case 'user_list': {
        // As JSON.stringify of {type, room, data, total, timestamp, epoch, offset, recovered, resume_token, gap},
        // with `data` (up to WEBSOCKET_PRESENCE_EVENTS_MAX_MEMBERS names) rendered once per list.
        const head = `{"type":"user_list","room":${JSON.stringify(reply.room)},"data":${namesJson(reply.names)}`;
        const rest = JSON.stringify({
          total: reply.total,
          timestamp: nowSeconds(),
          epoch: reply.position?.epoch,
          offset: reply.position?.offset,
          recovered: reply.recovered,
          resume_token: reply.resumeToken,
          gap: reply.gap,
        });
        return `${head},${rest.slice(1)}`;
      }
      case 'pong':
        return JSON.stringify({ type: 'pong', timestamp: seconds(reply.ts) });
      case 'error':
        return JSON.stringify({ type: 'error', content: reply.message, data: { code: reply.code }, re: reply.re, room: reply.room, id: reply.id, timestamp: nowSeconds() });
      case 'joined':
      case 'left':
        // The rooms dialect confirms a join with user_list, and a leave with nothing.
        return undefined;
      default:
        return renderSessionReply(reply);
    }
  }
}

/** The JSON of a member list, made once per list (a roster hands out the same array while it is unchanged). */
const renderedNames = new WeakMap<readonly string[], string>();
function namesJson(names: readonly string[]): string {
  let json = renderedNames.get(names);
  if (json === undefined) renderedNames.set(names, (json = JSON.stringify(names)));
  return json;
}

export const roomsChatCodec = new RoomsCodec('chat');
export const roomsHubCodec = new RoomsCodec('hub');

function join(room: string, style: JoinStyle, since: ResumeFrom | undefined): Command {
  return since === undefined ? { kind: 'join', room, style } : { kind: 'join', room, style, since };
}

/** A say command, with its publish id when the frame gave one (without: exactly as before ids existed). */
function say(command: CommandOf<'say'>, id: string | undefined): Command {
  return id === undefined ? command : { ...command, id };
}

function withRoom(type: string, room: unknown, make: (room: string) => Command | DecodeError): Command | DecodeError {
  if (room === undefined || room === null || room === '') return missing(type, 'room', 'a room name');
  if (!isRoomName(room)) {
    return invalid(ErrorCode.BadField, `invalid room name for "${type}": use 1-128 letters, digits or _ - . : @ #`);
  }
  return make(room);
}

function missing(type: string, field: string, what: string): DecodeError {
  return invalid(ErrorCode.BadField, `"${type}" needs "${field}" (${what})`);
}

const seconds = (ms: number): number => Math.floor(ms / 1000);
const nowSeconds = (): number => seconds(Date.now());

/**
 * The fields that end a frame someone sent: who (`user_id`, `guest`, `username`), when, and
 * for a kept room publication where it stands in the room's history (`offset`, `epoch`).
 */
function signed(from: Sender | undefined, timestamp: number, at?: Positioned) {
  const who = { user_id: from?.id, guest: guest(from), username: from?.name, timestamp };
  return at === undefined ? who : { ...who, offset: at.offset, epoch: at.epoch };
}
