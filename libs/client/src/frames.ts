/*
 * The frames a Switchboard gateway sends on its chat dialects (rooms: `/ws…`; channels:
 * `/api/v1/ws`), one type per `type`, so a `switch (frame.type)` narrows to its fields.
 */

/** Where a room's history stands: its epoch and the offset of a publication in it. */
export interface StreamPosition {
  offset: number;
  epoch: string;
}

/** Fields every frame may carry. */
interface FrameBase {
  /** Unix seconds (rooms dialect) or an ISO-8601 string (channels dialect). */
  timestamp?: number | string;
  /** Who it is from (rooms dialect). */
  user_id?: string;
  username?: string;
  /** Who it is from (channels dialect). */
  user_email?: string | null;
}

/** A publication in a room: carries its position in the room's history. */
interface Publication extends FrameBase, Partial<StreamPosition> {
  room?: string;
  channel_id?: string;
  content?: string;
  data?: unknown;
  metadata?: unknown;
}

/** Room chat as seed 001 renders it (`join`): `{room, content}`. */
export interface ChatMessageFrame extends Publication {
  type: 'message';
  room: string;
}

/** Room chat as seed 002 renders it (`join_room`): `{room, data: {room, message}}`. */
export interface RoomMessageFrame extends Publication {
  type: 'room_message';
  room: string;
}

/** A stored message's lifecycle, from the REST app: in a room or a channel. */
export interface LifecycleFrame extends Publication {
  type: 'new_message' | 'message_updated' | 'message_deleted';
}

/** Every frame the `message` event carries. */
export type MessageFrame = ChatMessageFrame | RoomMessageFrame | LifecycleFrame;

/** Someone else entered or left a room you are in (rooms dialect). */
export interface MemberFrame extends FrameBase {
  type: 'join' | 'leave';
  room: string;
}

/** A membership in a channel (channels dialect): yours (the confirmation of a join) or another's. */
export interface ChannelMemberFrame extends FrameBase, Partial<StreamPosition> {
  type: 'channel_joined' | 'channel_left';
  channel_id: string;
  recovered?: boolean;
  resume_token?: string;
}

/** Every frame the `presence` event carries. */
export type PresenceFrame = MemberFrame | ChannelMemberFrame;

/** A room's members: the confirmation of a join (with the room's position), or the answer to `user_list`. */
export interface UserListFrame extends FrameBase, Partial<StreamPosition> {
  type: 'user_list';
  room: string;
  data: string[];
  /** The room's real count when `data` was capped (large rooms). */
  total?: number;
  /** On a resumed join: true when every missed publication follows, false when they cannot. */
  recovered?: boolean;
  resume_token?: string;
}

export interface NotificationFrame extends Publication {
  type: 'notification' | 'system_message';
}

export interface PrivateMessageFrame extends FrameBase {
  type: 'private_message';
  content?: string;
  data?: unknown;
}

/** An error answering a frame of yours (`re`: its type, and the room it named). */
export interface ErrorFrame extends FrameBase {
  type: 'error';
  /** The reason (rooms dialect). */
  content?: string;
  /** The reason (channels dialect). */
  message?: string;
  /** `{code}` (rooms dialect). */
  data?: { code?: string } | unknown;
  /** The code (channels dialect). */
  code?: string;
  re?: string;
  room?: string;
  channel_id?: string;
  /** The `id` of the publish it refuses, when it refuses one. */
  id?: string;
}

/** The server has a publication with this `id` in the room's history (acknowledged publish). */
export interface AckFrame extends StreamPosition {
  type: 'ack';
  id: string;
  room: string;
}

/** The server took a fresh token for the open connection; it now lasts until `exp` (unix seconds). */
export interface RefreshedFrame {
  type: 'refreshed';
  exp?: number;
}

export interface PongFrame extends FrameBase {
  type: 'pong';
}

/** The connection's limits as the server announces them (see {@link Limits}). */
export interface LimitsFrame {
  type: 'limits';
  [field: string]: unknown;
}

/** Every frame this library knows, told apart by `type`. */
export type ServerFrame =
  | MessageFrame
  | PresenceFrame
  | UserListFrame
  | NotificationFrame
  | PrivateMessageFrame
  | ErrorFrame
  | AckFrame
  | RefreshedFrame
  | PongFrame
  | LimitsFrame;

/** What a connection may send, as the server announced it; absent fields are not checked. */
export interface Limits {
  /** The largest frame in bytes (larger closes the connection with 1009). */
  maxMessageSize?: number;
  /** Frames per second (a steady rate above it closes the connection with 1008). */
  messageRate?: number;
  /** Frames that may be sent at once. */
  messageBurst?: number;
  /** What a join, a resume (a join with `since`) and a `user_list` count as, in frames. */
  joinCost?: number;
  resumeCost?: number;
  userListCost?: number;
}

const MESSAGE_TYPES = new Set(['message', 'room_message', 'new_message', 'message_updated', 'message_deleted']);
const PRESENCE_TYPES = new Set(['join', 'leave', 'channel_joined', 'channel_left']);

export const isMessage = (f: ServerFrame): f is MessageFrame => MESSAGE_TYPES.has(f.type);
export const isPresence = (f: ServerFrame): f is PresenceFrame => PRESENCE_TYPES.has(f.type);

/** The room (or channel) a frame is about, if it names one. */
export function roomOf(f: ServerFrame): string | undefined {
  const { room, channel_id: channel } = f as { room?: unknown; channel_id?: unknown };
  return typeof room === 'string' ? room : typeof channel === 'string' ? channel : undefined;
}

export function positionOf(f: ServerFrame): StreamPosition | undefined {
  const { offset, epoch } = f as { offset?: unknown; epoch?: unknown };
  return typeof offset === 'number' && typeof epoch === 'string' ? { offset, epoch } : undefined;
}

/** The stable code of an error frame: `data.code` (rooms dialect) or `code` (channels). */
export function codeOf(f: ErrorFrame): string {
  const data = f.data as { code?: unknown } | undefined;
  const code = typeof data === 'object' && data !== null && data.code !== undefined ? data.code : f.code;
  return String(code ?? 'error');
}

export const reasonOf = (f: ErrorFrame): string => String(f.content ?? f.message ?? 'error');

const number = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined);

/**
 * The limits a frame announces: a `limits` frame, or a `limits` object on any frame, with
 * `max_message_size`, `message_rate` and `message_burst` (snake or camel case).
 */
export function limitsOf(f: ServerFrame): Limits | undefined {
  const raw = (f.type === 'limits' ? ((f as LimitsFrame).limits ?? f) : (f as { limits?: unknown }).limits) as Record<string, unknown> | undefined;
  if (typeof raw !== 'object' || raw === null) return undefined;
  const limits: Limits = {
    maxMessageSize: number(raw.max_message_size ?? raw.maxMessageSize),
    messageRate: number(raw.message_rate ?? raw.messageRate),
    messageBurst: number(raw.message_burst ?? raw.messageBurst),
    joinCost: number(raw.join_cost),
    resumeCost: number(raw.resume_cost),
    userListCost: number(raw.user_list_cost),
  };
  return limits.maxMessageSize ?? limits.messageRate ?? limits.messageBurst ? limits : undefined;
}
