/**
 * Close and error codes: the one place they are defined.
 * Close codes follow RFC 6455; the range tells a client whether to reconnect:
 * 1012/1013 mean "come back later", 1008/1009 mean "you did something wrong, fix it first",
 * 4001 means "get a new credential first", 4003 "get a fresh token, then reconnect".
 */
export const CloseCode = {
  /** Never sent: the connection ended without a closing handshake (lost, or an SSE stream that ended). */
  Abnormal: 1006,
  /** Policy violation: the client kept sending over its message rate limit. */
  PolicyViolation: 1008,
  /** A frame larger than the endpoint's limit (sent by the ws library itself, listed for clients). */
  MessageTooBig: 1009,
  /** The replica is restarting (SIGTERM drain); reconnect to another one. */
  ServiceRestart: 1012,
  /** Try again later: the client did not read fast enough (slow consumer). */
  TryAgainLater: 1013,
  /** The credential was revoked (password changed, API key regenerated): authenticate again before reconnecting. */
  SessionRevoked: 4001,
  /** Signaling: this peer was resumed on another connection (its resume token was used); this one is over. */
  PeerResumedElsewhere: 4002,
  /** The JWT the connection was authenticated with reached its `exp` and no `refresh` frame replaced it: get a fresh token, then reconnect. */
  TokenExpired: 4003,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Stable error codes carried in `error` frames as `data.code`; the text is for humans. */
export const ErrorCode = {
  /** The frame was not valid JSON or not a JSON object. */
  BadJson: 'bad_json',
  /** The `type` field is missing or names no known message type. */
  UnknownType: 'unknown_type',
  /** A field the type needs is missing or has the wrong shape. */
  BadField: 'bad_field',
  /** The room is at its member limit (WEBSOCKET_MAX_ROOM_MEMBERS; signaling: WEBSOCKET_SIGNALING_MAX_PEERS). */
  RoomFull: 'room_full',
  /** The connection is in as many rooms as it may be (WEBSOCKET_MAX_ROOMS_PER_CONNECTION). */
  TooManyRooms: 'too_many_rooms',
  /** The credential does not allow this room or action. */
  Forbidden: 'forbidden',
  /** The client sent to a room it has not joined. */
  NotInRoom: 'not_in_room',
  /** The room does not exist (signaling: no member anywhere in the cluster). */
  NoSuchRoom: 'no_such_room',
  /** The signaling peer addressed is not connected, or shares no room with the sender. */
  UnknownPeer: 'unknown_peer',
  /** The signaling peer addressed lost its connection and may resume within its window: nothing was delivered, send again once it is back. */
  PeerReconnecting: 'peer_reconnecting',
  /** A signaling resume token is invalid, another user's, revoked, or its window is over: the connection goes on as a new peer. */
  ResumeFailed: 'resume_failed',
  /** The target user has no connection anywhere in the cluster. */
  UserOffline: 'user_offline',
  /** Message rate over the per-connection limit; the frame was dropped. */
  RateLimited: 'rate_limited',
  /** The bus did not accept the message; nothing was delivered, retry. */
  Unavailable: 'unavailable',
  /** Binary frames are not part of any dialect. */
  Binary: 'binary_unsupported',
  /** A `refresh` token was invalid, expired, revoked or another subject's: the connection closes with 4001. */
  RefreshFailed: 'refresh_failed',
  /** The server failed; the message is logged with context. */
  Internal: 'internal',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** A command the hub refuses; the connection gets an `error` frame and stays open. */
export class CommandError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CommandError';
  }
}
