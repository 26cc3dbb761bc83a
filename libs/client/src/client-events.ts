import type { UrlSource } from './endpoints';
import type { SwitchboardError } from './errors';
import type {
  ChannelMemberFrame,
  ErrorFrame,
  Limits,
  MessageFrame,
  NotificationFrame,
  PresenceFrame,
  PrivateMessageFrame,
  ServerFrame,
  UserListFrame,
} from './frames';
import type { Gap } from './resume';
import type { TokenSource } from './token';
import type { TransportName } from './transports';

/** The server's confirmation of a join: `user_list` (rooms dialect) or `channel_joined` (channels). */
export type JoinConfirmation = UserListFrame | ChannelMemberFrame;

export interface SwitchboardEvents {
  /** Every frame, whatever its type. */
  frame: [ServerFrame];
  /** Chat in a room (`message` and `room_message`) and stored-message events in a channel. */
  message: [MessageFrame];
  /** Someone entered or left a room or channel you are in. */
  presence: [PresenceFrame];
  notification: [NotificationFrame];
  private_message: [PrivateMessageFrame];
  /** Every `error` frame; one answering a request of yours also rejects that request. */
  error: [ErrorFrame];
  /** An attempt to connect begins (`attempt`: failed attempts before it since the last connection). */
  connecting: [{ url: string; attempt: number; transport: TransportName }];
  /** Connected (again): rooms joined before are joined again, and waiting publishes sent. */
  connected: [{ url: string; transport: TransportName }];
  /** An open connection closed; `willReconnect` unless the client was closed or failed. */
  disconnected: [{ code: number; reason: string; willReconnect: boolean }];
  /**
   * The client stopped for good, said once: the credential was refused (401, 4001, a token
   * that expired (4003) with no token function to renew it, or a token function that threw),
   * or a limit was broken (1008 rate, 1009 size). Pending joins and publishes reject with it.
   */
  failed: [SwitchboardError];
  /** The open connection took a fresh token; it lasts until `exp` (unix seconds). */
  refreshed: [{ exp?: number }];
  /** The server announced its limits; publishes are checked and paced against them. */
  limits: [Limits];
  /** Connected (again), like `connected`. */
  open: [];
  /** The connection dropped; a reconnect follows after `delayMs` unless you closed it. */
  reconnecting: [{ attempt: number; delayMs: number; code: number }];
  /** Back in these rooms after a reconnect (every missed message was replayed, unless `gap` said otherwise). */
  rejoined: [string[]];
  /** The server refused (or never confirmed) joining a room again after a reconnect: the room is dropped; join it again to retry. */
  rejoin_failed: [{ room: string; error: Error }];
  /** The credential was refused (close 4001, or a handshake answered 401) and no token function could renew it; `failed` follows. */
  unauthorized: [{ code: number; status?: number }];
  /** Messages between `after` and `position` of a room could not be replayed. */
  gap: [Gap];
  /** Every close of a connection. */
  close: [{ code: number; reason: string }];
}

export interface SwitchboardClientOptions {
  /** `ws(s)://host/ws`, `/ws/auth`, or `/api/v1/ws` (the channels dialect). */
  url?: string;
  /** Replicas to spread over (tried in turn from a random one), or a function giving the URL for each attempt. */
  urls?: UrlSource;
  /** A JWT, or a function giving one: asked before every (re)connect and again ahead of the token's `exp`. */
  token?: TokenSource;
  /** An API key (`?api_key=`), instead of a token. */
  apiKey?: string;
  /** The dialect, when `urls` is a function (otherwise told from the first URL's path). */
  dialect?: 'rooms' | 'channels';
  /** First reconnect delay bound; it doubles per attempt up to `maxDelayMs`. Default 250 ms. */
  initialDelayMs?: number;
  /** Largest reconnect delay bound. Default 10 s. */
  maxDelayMs?: number;
  /** How long a join waits for its confirmation once sent. Default 10 s. */
  timeoutMs?: number;
  /** Publishes waiting for their acknowledgement at most; beyond it `publish` rejects. Default 1,000. */
  maxQueued?: number;
  /** How long a publish may wait for its acknowledgement (queued time included). Default 30 s. */
  publishTimeoutMs?: number;
  /**
   * The transports to try, in order, at each connection: `websocket`, then `sse` (a stream and
   * POSTs, docs/protocol/sse.md) when the upgrade was refused or did not open in time. Default
   * `['websocket', 'sse']`; `['websocket']` never falls back.
   */
  transports?: TransportName[];
  /** How long a WebSocket upgrade may take before the attempt gives up on it (and takes the next transport). Default 5 s. */
  upgradeTimeoutMs?: number;
}
