import type { ErrorCode } from './codes';
import type { ResumeFrom, StreamPosition } from './events';

/**
 * Commands: what a client asked for, decoded from any dialect. The hub acts on these and
 * never sees a wire frame.
 */
export type Command =
  /**
   * Enter a room; `style` records how the client spoke, so replies come back in kind.
   * With `since` (the last offset and epoch the client saw, and its resume token) it resumes: what it missed follows.
   */
  | { kind: 'join'; room: string; style: JoinStyle; since?: ResumeFrom }
  | { kind: 'leave'; room: string }
  /**
   * Say something to a room the client is in. With `id` (client-chosen, 1-64 characters) it is
   * acknowledged once in the room's history (`ack`), and published at most once per id, user
   * and room within the dedup window.
   */
  | { kind: 'say'; room: string; content?: string; data?: unknown; id?: string }
  /** Notify every connection in the cluster (needs the `broadcast` permission). */
  | { kind: 'broadcast'; data: unknown }
  /** Message every connection of one user. */
  | { kind: 'private'; to: string; content?: string; data?: unknown }
  /** Ask for the members of a room. */
  | { kind: 'list'; room: string }
  | { kind: 'ping' }
  /** Open a new signaling room and enter it. */
  | { kind: 'create_room' }
  /** Leave every room (signaling's `leave_room` without a `room_id`). */
  | { kind: 'leave_all' }
  /** Pass a WebRTC signaling message to peer `to` (a connection id) in a common room. */
  | { kind: 'relay'; type: SignalType; to: string; data: unknown }
  /** Signaling: become again the peer a `resume_token` names (its id and rooms). */
  | { kind: 'resume'; token: string }
  /** Every dialect: replace the connection's JWT by a fresh one of the same subject before it expires (the transport takes it). */
  | { kind: 'refresh'; token: string }
  /** Every dialect: ask for the limits this endpoint enforces (the transport answers). */
  | { kind: 'limits' };

/** The signaling messages relayed between peers. */
export type SignalType = 'offer' | 'answer' | 'ice_candidate';

export type CommandKind = Command['kind'];

/** The command of one kind (a gateway handler's argument). */
export type CommandOf<K extends CommandKind> = Extract<Command, { kind: K }>;

/** Every command kind, in a fixed order: a kind's index names its handler slot. */
export const COMMAND_KINDS: readonly CommandKind[] = ['join', 'leave', 'say', 'broadcast', 'private', 'list', 'ping', 'create_room', 'leave_all', 'relay', 'resume'];
export const COMMAND_INDEX: ReadonlyMap<string, number> = new Map(COMMAND_KINDS.map((k, i) => [k, i]));

/**
 * How a member entered a room, which decides how room messages are rendered to it; each
 * dialect names its styles and the codec of each (the gateway's dialect registry). E.g.
 * `chat` (seed 001: `join`, `/ws/{room}`) gets `message` frames, `hub` (seed 002: `join_room`)
 * gets `room_message` frames, `channel` (seed 003) gets channel frames.
 */
export type JoinStyle = string;

/** A frame that could not become a command; the connection stays open. */
export interface DecodeError {
  kind: 'invalid';
  code: ErrorCode;
  message: string;
}

/**
 * Where a joined room's history stands, on a join confirmation: `recovered` only when the
 * join gave `since` (true: what was missed follows; false: it cannot be, there is a gap).
 */
export interface JoinPosition {
  position?: StreamPosition;
  recovered?: boolean;
  /** Signed: lets this client (and no other) resume the room from `position` later (`resume_token`). */
  resumeToken?: string;
  /** Why a resume replayed nothing although the history may hold it: its resume token was missing or invalid. */
  gap?: ResumeGap;
}

/** `gap` of a join confirmation: a resume refused for want of a valid `resume_token`. */
export type ResumeGap = 'resume_token_missing' | 'resume_token_invalid';

/**
 * What an error answers, when the gateway knows it: `re` is the `type` of the client frame
 * (e.g. `join_room`), `room` the room that frame named. A client matches errors to its
 * requests by these; an error without `re` answers no frame of the client's (e.g. a bus
 * failure reported after the fact without one, or the join of `/ws/{room}`).
 */
export interface ErrorSubject {
  re?: string;
  room?: string;
  /** The `id` of the chat frame answered, when it carried one: the refusal of that publish. */
  id?: string;
}

/** Replies go to the asking connection only. */
export type Reply =
  /** `total`: the room's distinct member count, present when `names` was capped. */
  | ({ kind: 'user_list'; room: string; names: readonly string[]; total?: number } & JoinPosition)
  | ({ kind: 'joined'; room: string; who: { id: string; name: string; email?: string } } & JoinPosition)
  | { kind: 'left'; room: string; who: { id: string; name: string; email?: string } }
  | { kind: 'pong'; ts: number }
  | ({ kind: 'error'; code: ErrorCode; message: string } & ErrorSubject)
  /** Signaling: the connection's id, on connect, and the token that resumes it after a lost connection. */
  | { kind: 'welcome'; clientId: string; resumeToken?: string }
  /** Signaling: a resume worked: the same id, its rooms (room ids) with their other peers, and a fresh token. */
  | { kind: 'resumed'; clientId: string; rooms: Array<{ room: string; peers: string[] }>; resumeToken: string }
  | { kind: 'room_created'; room: string }
  /** Signaling: the room is joined; `peers` are the other members' connection ids, on every replica. */
  | { kind: 'room_joined'; room: string; peers: string[] }
  /** A `refresh` was taken: the connection now lasts until `exp` (unix seconds). */
  | { kind: 'refreshed'; exp: number }
  /** A chat frame with `id` is in the room's history at `position` (undefined while history is off); a repeat gets the first one's. */
  | { kind: 'ack'; id: string; room: string; position?: StreamPosition }
  /** The limits the endpoint enforces on this connection's frames. */
  | { kind: 'limits'; limits: Limits };

/** What a client may send before it is refused or closed (announced by the `limits` frame). */
export interface Limits {
  /** Largest frame in bytes (larger: close 1009). */
  maxMessageSize: number;
  /** Frames per second over time (token bucket rate). */
  messageRate: number;
  /** Frames that may come at once (token bucket size); beyond the rate: `rate_limited`, then close 1008. */
  messageBurst: number;
  /** Longest publish `id`. */
  maxPublishIdLength: number;
  /** How long a publish `id` is remembered (ms): a resend within it is acked, never published twice. */
  publishDedupWindowMs: number;
  /** What a join, a resume (a join with `since`) and a `user_list` take of the message rate, in frames. */
  joinCost: number;
  resumeCost: number;
  userListCost: number;
}
