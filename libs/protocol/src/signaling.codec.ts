import { invalid, renderSessionReply, TypedCodec } from './codec';
import { ErrorCode } from './codes';
import type { Command, DecodeError, Reply, SignalType } from './commands';
import type { HubEvent } from './events';

/** The join style of signaling rooms (the dialect registry maps it to this codec). */
export const SIGNALING_STYLE = 'signaling';

/**
 * Signaling rooms are a namespace of their own (their topics and presence entries): the room
 * of id 42 is named `signaling/42` inside the cluster, a name no chat room or channel can have
 * (room names have no `/`), so `/ws/42` never enters it.
 */
const ROOM_PREFIX = 'signaling/';

/** The cluster's name of the signaling room with this id. */
export function signalingRoom(id: string): string {
  return ROOM_PREFIX + id;
}

/** The id of a signaling room by its cluster name, or undefined for any other room. */
export function signalingRoomId(room: string): string | undefined {
  return room.startsWith(ROOM_PREFIX) ? room.slice(ROOM_PREFIX.length) : undefined;
}

const SIGNALS: ReadonlySet<string> = new Set<SignalType>(['offer', 'answer', 'ice_candidate']);

/**
 * The signaling dialect (seed 004), spoken on `/signaling`. Client and room ids are
 * positive integers below 2^53 on the wire (JSON numbers) and decimal strings inside.
 *
 * Commands and replies carry the room's id; events carry the room's cluster name
 * (`signalingRoom`), rendered back to the id.
 *
 * client → server: `create_room`, `join_room {room_id}`, `leave_room {room_id?}`,
 * `offer` / `answer` / `ice_candidate {to, data}`, `resume {token}`, `ping`.
 * server → client: `welcome {client_id, resume_token?}`, `resumed {client_id, resume_token, rooms}`, `room_created {room_id}`,
 * `room_joined {room_id, peers}`, `peer_joined` / `peer_left {room_id, client_id}`,
 * `offer` / `answer` / `ice_candidate {from, data}`, `pong`, `error {code, message, re?, room_id?}`.
 */
export class SignalingCodec extends TypedCodec {
  readonly name = 'signaling';

  protected command(type: string, msg: Record<string, unknown>): Command | DecodeError {
    switch (type) {
      case 'create_room':
        return { kind: 'create_room' };
      case 'join_room': {
        const room = idOf(msg.room_id);
        return room === undefined ? badId(type, 'room_id') : { kind: 'join', room, style: SIGNALING_STYLE };
      }
      case 'leave_room': {
        if (msg.room_id === undefined || msg.room_id === null) return { kind: 'leave_all' };
        const room = idOf(msg.room_id);
        return room === undefined ? badId(type, 'room_id') : { kind: 'leave', room };
      }
      case 'ping':
        return { kind: 'ping' };
      case 'resume':
        if (typeof msg.token !== 'string' || msg.token === '' || msg.token.length > 1024) return invalid(ErrorCode.BadField, '"resume" needs "token" (the resume_token of welcome)');
        return { kind: 'resume', token: msg.token };
      default: {
        if (!SIGNALS.has(type)) return invalid(ErrorCode.UnknownType, `unknown message type "${type.slice(0, 64)}"`);
        const to = idOf(msg.to);
        if (to === undefined) return badId(type, 'to');
        if (msg.data === undefined) return invalid(ErrorCode.BadField, `"${type}" needs "data"`);
        return { kind: 'relay', type: type as SignalType, to, data: msg.data };
      }
    }
  }

  render(event: HubEvent): string | undefined {
    switch (event.kind) {
      case 'join':
      case 'leave': {
        const room = wireId(signalingRoomId(event.room) ?? '');
        const client = event.clientId === undefined ? undefined : wireId(event.clientId);
        if (room === undefined || client === undefined) return undefined;
        return JSON.stringify({ type: event.kind === 'join' ? 'peer_joined' : 'peer_left', room_id: room, client_id: client });
      }
      case 'signal':
        return JSON.stringify({ type: event.type, from: Number(event.from), data: event.data });
      default:
        // Chat, notifications and stored-message events are not part of this dialect.
        return undefined;
    }
  }

  renderReply(reply: Reply): string | undefined {
    switch (reply.kind) {
      case 'welcome':
        return JSON.stringify({ type: 'welcome', client_id: Number(reply.clientId), resume_token: reply.resumeToken });
      case 'resumed':
        return JSON.stringify({
          type: 'resumed',
          client_id: Number(reply.clientId),
          resume_token: reply.resumeToken,
          rooms: reply.rooms.map((r) => ({ room_id: Number(r.room), peers: r.peers.map(Number) })),
        });
      case 'room_created':
        return JSON.stringify({ type: 'room_created', room_id: Number(reply.room) });
      case 'room_joined':
        return JSON.stringify({ type: 'room_joined', room_id: Number(reply.room), peers: reply.peers.map(Number) });
      case 'pong':
        return JSON.stringify({ type: 'pong', timestamp: reply.ts });
      case 'error':
        return JSON.stringify({ type: 'error', code: reply.code, message: reply.message, re: reply.re, room_id: reply.room === undefined ? undefined : wireId(reply.room) });
      default:
        return renderSessionReply(reply);
    }
  }
}

export const signalingCodec = new SignalingCodec();

/** A positive integer below 2^53 (a JSON number, or its decimal string) as its decimal string. */
function idOf(value: unknown): string | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value > 0 ? String(value) : undefined;
  if (typeof value === 'string' && /^[1-9]\d{0,15}$/.test(value) && Number.isSafeInteger(Number(value))) return value;
  return undefined;
}

/** A room or client name as a wire id, if it is one (a chat room named "lobby" is not). */
function wireId(name: string): number | undefined {
  const id = idOf(name);
  return id === undefined ? undefined : Number(id);
}

function badId(type: string, field: string): DecodeError {
  return invalid(ErrorCode.BadField, `"${type}" needs "${field}" (a positive integer below 2^53)`);
}
