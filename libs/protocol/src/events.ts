/**
 * Events: what the hub fans out to connections and what crosses the bus. They carry no
 * wire format; each dialect's codec renders them. Timestamps are unix milliseconds.
 */
export interface Sender {
  /** The user id, taken from the credential (never from the frame). */
  id: string;
  /** The display name from the credential. */
  name: string;
  /** The email claim, when the credential has one. */
  email?: string;
  /** True for a guest (no credential): `id` is a name it chose, not a verified user. Rendered as `guest: true`. */
  guest?: boolean;
}

/** What codecs render beside a user id: `true` for a guest, absent (not rendered) for a verified user. */
export function guest(from: Sender | undefined): true | undefined {
  return from?.guest ? true : undefined;
}

/** Where a room's history stands: its epoch, and the offset of its last kept publication. */
export interface StreamPosition {
  /** +1 per kept publication in the room, from 1; 0 before the first. */
  offset: number;
  /** Names the room's history; a new one means what came before is lost. */
  epoch: string;
}

/**
 * Where a resuming client stands in a room (`since`), with the `resume_token` of the newest
 * join confirmation it got there: without a valid token nothing is replayed (unless
 * WEBSOCKET_HISTORY_PUBLIC=true).
 */
export interface ResumeFrom extends StreamPosition {
  token?: string;
}

/** Set by the bus on a kept room publication (see `isKept`). */
export interface Positioned {
  offset?: number;
  epoch?: string;
}

/** A chat message to a room (rooms dialect `message` / `room_message`). */
export interface RoomMessageEvent extends Positioned {
  kind: 'message';
  room: string;
  from: Sender;
  /** Text, when the client sent text (seed 002 may send an object as `data` instead). */
  content?: string;
  data?: unknown;
  ts: number;
}

/** Someone entered or left a room. */
export interface PresenceEvent {
  kind: 'join' | 'leave';
  room: string;
  from: Sender;
  /** The connection that joined or left: it is not told about itself. */
  clientId?: string;
  ts: number;
}

/** A notification to everyone, to a room or to a user (seed 002's hub methods, `broadcast`). */
export interface NotificationEvent extends Positioned {
  kind: 'notification' | 'system_message' | 'room_message';
  room?: string;
  from?: Sender;
  data: unknown;
  ts: number;
}

/** A direct message to every connection of one user. */
export interface PrivateMessageEvent {
  kind: 'private_message';
  to: string;
  from?: Sender;
  content?: string;
  data?: unknown;
  ts: number;
}

/** A stored chat message was created, edited or deleted (published by the api app). */
export interface LifecycleEvent extends Positioned {
  kind: 'new_message' | 'message_updated' | 'message_deleted';
  room: string;
  data: Record<string, unknown>;
  ts: number;
}

/** A WebRTC signaling message on its way to one peer (on that peer's own topic). */
export interface SignalEvent {
  kind: 'signal';
  type: 'offer' | 'answer' | 'ice_candidate';
  /** Connection ids of the sender and the addressee. */
  from: string;
  to: string;
  /** The sender's signaling rooms when it sent: the addressee's replica delivers only if it shares one. */
  rooms: string[];
  data: unknown;
  ts: number;
}

/**
 * Back to a sender: its signal reached the replica of peer `peer`, who shares no room with it
 * (or, with `gone`, had just disconnected); nothing was delivered. `type` is the signal's.
 */
export interface SignalRefusedEvent {
  kind: 'signal_refused';
  to: string;
  peer: string;
  type?: SignalEvent['type'];
  gone?: boolean;
  /** With `gone`, when the peer's replica saw it go: true if it may resume (lost), false if it said goodbye. */
  away?: boolean;
  ts: number;
}

/** On a peer's topic: the peer resumed on node `node`; any other node holding a connection of it closes that one. */
export interface PeerMovedEvent {
  kind: 'peer_moved';
  peer: string;
  node: string;
  ts: number;
}

/**
 * Client frames POSTed to an SSE session on a replica that does not hold its stream, on their
 * way (on the session's topic) to the one that does, which answers on `replyTo`'s node topic.
 */
export interface UplinkEvent {
  kind: 'uplink';
  session: string;
  /** SHA-256 of the session token the request presented (base64url): the holder compares it with its own. */
  proof: string;
  /** The client frames, each a JSON text, in the order the client sent them. */
  frames: string[];
  /** The bus node id of the replica that took the POST, and its number for the request. */
  replyTo: string;
  request: number;
  ts: number;
}

/** How the replica holding an SSE session took a forwarded uplink: an HTTP status for the POST (202, 403, 404, 413). */
export interface UplinkAnswerEvent {
  kind: 'uplink_answer';
  request: number;
  status: number;
  /** Why, when refused. */
  reason?: string;
  ts: number;
}

export type HubEvent =
  | RoomMessageEvent
  | PresenceEvent
  | NotificationEvent
  | PrivateMessageEvent
  | LifecycleEvent
  | SignalEvent
  | SignalRefusedEvent
  | PeerMovedEvent
  | UplinkEvent
  | UplinkAnswerEvent;

export type HubEventKind = HubEvent['kind'];

const KINDS: ReadonlySet<string> = new Set<HubEventKind>([
  'message',
  'join',
  'leave',
  'notification',
  'system_message',
  'room_message',
  'private_message',
  'new_message',
  'message_updated',
  'message_deleted',
  'signal',
  'signal_refused',
  'peer_moved',
  'uplink',
  'uplink_answer',
]);

/** Whether a publication to a room is kept in its history: all but join/leave notices. */
export function isKept(event: HubEvent): boolean {
  return event.kind !== 'join' && event.kind !== 'leave';
}

/** Checks the fields of an uplink that arrived from the bus (isHubEvent checked kind and ts). */
export function isUplink(event: HubEvent): event is UplinkEvent {
  const e = event as Partial<UplinkEvent>;
  return (
    e.kind === 'uplink' &&
    typeof e.session === 'string' &&
    typeof e.proof === 'string' &&
    typeof e.replyTo === 'string' &&
    Number.isSafeInteger(e.request) &&
    Array.isArray(e.frames) &&
    e.frames.every((f) => typeof f === 'string')
  );
}

/** Checks the shape of an event that arrived from outside the process (the bus). */
export function isHubEvent(value: unknown): value is HubEvent {
  if (typeof value !== 'object' || value === null) return false;
  const e = value as { kind?: unknown; ts?: unknown; room?: unknown };
  if (typeof e.kind !== 'string' || !KINDS.has(e.kind) || typeof e.ts !== 'number') return false;
  if (e.room !== undefined && typeof e.room !== 'string') return false;
  const p = value as Positioned;
  if (p.offset !== undefined && !Number.isSafeInteger(p.offset)) return false;
  if (p.epoch !== undefined && typeof p.epoch !== 'string') return false;
  return true;
}
