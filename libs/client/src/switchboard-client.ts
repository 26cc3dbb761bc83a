import { backoffDelay } from './backoff';
import { Emitter } from './emitter';
import { runtime } from './runtime';
import type { WebSocketLike } from './types';

/** A frame from the rooms (`/ws…`) or channels (`/api/v1/ws`) dialect, as the server sent it. */
export interface ServerFrame {
  type: string;
  room?: string;
  channel_id?: string;
  content?: string;
  data?: unknown;
  user_id?: string;
  username?: string;
  user_email?: string | null;
  timestamp?: number | string;
  [field: string]: unknown;
}

export interface SwitchboardEvents {
  /** Every frame, whatever its type. */
  frame: [ServerFrame];
  /** Chat in a room (`message` and `room_message`) and stored-message events in a channel. */
  message: [ServerFrame];
  /** Someone entered or left a room or channel you are in. */
  presence: [ServerFrame];
  notification: [ServerFrame];
  private_message: [ServerFrame];
  /** Every `error` frame; one answering a `join` of yours also rejects that join. */
  error: [ServerFrame];
  /** Connected (again): rooms joined before a reconnect are joined again just after this. */
  open: [];
  /** The connection dropped; a reconnect follows after `delayMs` unless you closed it. */
  reconnecting: [{ attempt: number; delayMs: number; code: number }];
  /**
   * Back in these rooms after a reconnect (every missed message was replayed, unless `gap`
   * said otherwise); a room the server refused is in `rejoin_failed`, not here.
   */
  rejoined: [string[]];
  /**
   * The server refused (or never confirmed) joining a room again after a reconnect (room
   * full, forbidden, rate limited…): the room is no longer in `rooms`; join it again to retry.
   */
  rejoin_failed: [{ room: string; error: Error }];
  /**
   * The credential was refused: the session was revoked (close 4001) or the handshake
   * answered 401. No reconnect follows; authenticate again (`login`) and connect anew.
   */
  unauthorized: [{ code: number; status?: number }];
  /**
   * A room's missed messages could not all be replayed (the server's history window was
   * passed, or its history was lost): messages between `after` and `position` are missing.
   * Said on a resume after a reconnect, and by the server itself when the client stayed
   * connected through an outage it could not bridge. A channels client reads them over
   * REST (`GET /api/v1/channels/{id}/messages`).
   */
  gap: [{ room: string; after?: StreamPosition; position?: StreamPosition }];
  close: [{ code: number; reason: string }];
}

/** Where a room's history stands: its epoch and the offset of a publication in it. */
export interface StreamPosition {
  offset: number;
  epoch: string;
}

export interface SwitchboardClientOptions {
  /** `ws(s)://host/ws`, `/ws/auth`, or `/api/v1/ws` (the channels dialect). */
  url: string;
  /** A JWT (from `login`); sent as `?token=`. */
  token?: string;
  /** First reconnect delay bound; it doubles per attempt up to `maxDelayMs`. Default 250 ms. */
  initialDelayMs?: number;
  /** Largest reconnect delay bound. Default 10 s. */
  maxDelayMs?: number;
  /** How long a join waits for its confirmation. Default 10 s. */
  timeoutMs?: number;
}

const OPEN = 1;
/** The server closed a session whose credential was revoked (libs/protocol CloseCode.SessionRevoked). */
const SESSION_REVOKED = 4001;
const MESSAGE_TYPES = new Set(['message', 'room_message', 'new_message', 'message_updated', 'message_deleted']);
const PRESENCE_TYPES = new Set(['join', 'leave', 'channel_joined', 'channel_left']);
/** Close codes after which reconnecting cannot help: the request itself was refused. */
const FINAL_CODES = new Set([1000, 1008, 1009, SESSION_REVOKED]);
/** A refused handshake as Node's `ws` reports it (browsers tell nothing but 1006). */
const HANDSHAKE_STATUS = /Unexpected server response: (\d{3})/;

/** An `error` frame answering a request of this client. */
export class SwitchboardError extends Error {
  constructor(
    /** The stable code (`room_full`, `forbidden`, `rate_limited`…). */
    readonly code: string,
    message: string,
    /** The room (or channel) the refused frame named. */
    readonly room?: string,
  ) {
    super(message);
    this.name = 'SwitchboardError';
  }
}

/**
 * A client of the rooms (seeds 001, 002) and channels (seed 003) dialects. It keeps the
 * rooms you joined and, when the connection drops (a replica drained with 1012, a network
 * cut), reconnects with exponential backoff and full jitter and joins them again — resuming
 * each from the last message it saw (`since`), so the server replays what was missed, once
 * and in order; a message it already has is never passed on twice.
 */
export class SwitchboardClient extends Emitter<SwitchboardEvents> {
  private ws: WebSocketLike | undefined;
  private readonly joined = new Set<string>();
  /** The last position seen in each joined room (from confirmations and messages). */
  private readonly positions = new Map<string, StreamPosition>();
  /** The `resume_token` of each joined room's newest confirmation: a resume presents it (the server replays only with it). */
  private readonly resumeTokens = new Map<string, string>();
  /** Rooms whose join is waiting for its confirmation. */
  private readonly joining = new Set<string>();
  private readonly channels: boolean;
  private attempt = 0;
  private stopped = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Error frames a request already took, so no second request takes the same one. */
  private readonly claimed = new WeakSet<ServerFrame>();

  constructor(private readonly options: SwitchboardClientOptions) {
    super();
    this.channels = new URL(options.url).pathname.startsWith('/api/v1/ws');
  }

  /** Rooms (or channels) this client is in, and will be in again after a reconnect. */
  get rooms(): string[] {
    return [...this.joined];
  }

  get connected(): boolean {
    return this.ws?.readyState === OPEN;
  }

  /** Opens the connection; resolves once it is open. Rejects if the first attempt fails. */
  connect(): Promise<void> {
    this.stopped = false;
    return new Promise((resolve, reject) => this.open(resolve, reject));
  }

  /** Joins a room (or channel); resolves once the server confirmed the membership. */
  async join(room: string): Promise<ServerFrame> {
    const since = this.joined.has(room) ? this.positions.get(room) : undefined;
    const frame = this.channels ? { type: 'join_channel', channel_id: room } : { type: 'join', room };
    this.joining.add(room);
    let reply: ServerFrame;
    try {
      const token = this.resumeTokens.get(room);
      reply = await this.ask(since ? { ...frame, since: token === undefined ? since : { ...since, resume_token: token } } : frame, room, this.confirms(room, true));
    } finally {
      this.joining.delete(room);
    }
    this.joined.add(room);
    this.keepToken(room, reply);
    const position = positionOf(reply);
    if (since && reply.recovered !== true) this.emit('gap', { room, after: since, position });
    // Resumed: the replay continues from `since`. Otherwise the room goes on from its
    // confirmation (or from a message that already came after it).
    if (!since || reply.recovered !== true) {
      const last = this.positions.get(room);
      const ahead = last !== undefined && position !== undefined && last.epoch === position.epoch && last.offset > position.offset;
      if (position && !ahead) this.positions.set(room, position);
      else if (!position) this.positions.delete(room);
    }
    return reply;
  }

  /** Leaves a room (or channel). */
  async leave(room: string): Promise<void> {
    this.joined.delete(room);
    this.positions.delete(room);
    this.resumeTokens.delete(room);
    this.send(this.channels ? { type: 'leave_channel', channel_id: room } : { type: 'leave', room });
  }

  /** Says something to a room (rooms dialect; channels take messages over REST). */
  say(room: string, content: string): void {
    if (this.channels) throw new Error('channels take messages through POST /api/v1/messages');
    this.send({ type: 'message', room, content });
  }

  /** Sends any frame of the dialect. */
  send(frame: Record<string, unknown>): void {
    if (!this.connected) throw new Error('not connected');
    this.ws!.send(JSON.stringify(frame));
  }

  /** Closes for good: no reconnect. */
  close(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.ws?.close(1000, 'client closed');
  }

  private open(resolve?: () => void, reject?: (err: Error) => void): void {
    const url = new URL(this.options.url);
    if (this.options.token) url.searchParams.set('token', this.options.token);
    const ws = runtime().createWebSocket(url.toString());
    this.ws = ws;
    let opened = false;
    let status: number | undefined;
    ws.onopen = () => {
      opened = true;
      const again = this.attempt > 0;
      this.attempt = 0;
      this.emit('open');
      resolve?.();
      if (again) void this.rejoin();
    };
    ws.onmessage = (ev) => this.onFrame(ev.data);
    // The close says why, except for a refused handshake: Node's `ws` names its status here.
    ws.onerror = (ev) => {
      const match = HANDSHAKE_STATUS.exec(String((ev as { message?: unknown } | null)?.message ?? ''));
      if (match) status = Number(match[1]);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.emit('close', { code: ev.code, reason: ev.reason });
      const unauthorized = ev.code === SESSION_REVOKED || status === 401;
      if (unauthorized) this.emit('unauthorized', { code: ev.code, status });
      if (!opened && reject && this.attempt === 0) {
        reject(new Error(`could not connect to ${this.options.url} (${status === undefined ? ev.code : `HTTP ${status}`})`));
        return;
      }
      if (this.stopped || unauthorized || FINAL_CODES.has(ev.code)) return;
      this.scheduleReconnect(ev.code);
    };
  }

  /** Exponential backoff with full jitter: a delay drawn uniformly from [0, min(max, initial × 2^attempt)]. */
  private scheduleReconnect(code: number): void {
    const delayMs = backoffDelay(this.attempt, this.options.initialDelayMs ?? 250, this.options.maxDelayMs ?? 10_000);
    this.attempt += 1;
    this.emit('reconnecting', { attempt: this.attempt, delayMs, code });
    this.timer = setTimeout(() => this.open(), delayMs);
  }

  /**
   * Joins every room again. A room the server refuses is dropped (`rejoin_failed`); if the
   * connection drops again meanwhile, the rooms are kept for the next reconnect.
   */
  private async rejoin(): Promise<void> {
    const rooms = [...this.joined];
    const ws = this.ws;
    const results = await Promise.allSettled(rooms.map((room) => this.join(room)));
    if (this.ws !== ws || !this.connected) return; // dropped again: the next reconnect rejoins
    const back: string[] = [];
    results.forEach((result, i) => {
      const room = rooms[i];
      if (result.status === 'fulfilled') return void back.push(room);
      this.joined.delete(room);
      this.positions.delete(room);
      this.resumeTokens.delete(room);
      this.emit('rejoin_failed', { room, error: result.reason as Error });
    });
    this.emit('rejoined', back);
  }

  private confirms(room: string, join: boolean): (f: ServerFrame) => boolean {
    if (this.channels) return (f) => f.type === (join ? 'channel_joined' : 'channel_left') && f.channel_id === room;
    return (f) => f.type === 'user_list' && f.room === room;
  }

  /** Sends `frame`; settles on its reply, an error naming it (`re`, and its room), the close, or the timeout. */
  private ask(frame: Record<string, unknown>, room: string, reply: (f: ServerFrame) => boolean): Promise<ServerFrame> {
    return new Promise((resolve, reject) => {
      const done = (err?: Error, f?: ServerFrame) => {
        clearTimeout(timer);
        offFrame();
        offClose();
        if (err) reject(err);
        else resolve(f!);
      };
      const timer = setTimeout(() => done(new Error(`no reply to ${String(frame.type)} within the timeout`)), this.options.timeoutMs ?? 10_000);
      const offFrame = this.on('frame', (f) => {
        if (reply(f)) done(undefined, f);
        else if (f.type === 'error' && this.answers(f, String(frame.type), room)) {
          this.claimed.add(f);
          done(new SwitchboardError(String(codeOf(f)), String(f.content ?? f.message ?? 'error'), room));
        }
      });
      const offClose = this.on('close', ({ code }) => done(new Error(`connection closed (${code})`)));
      try {
        this.send(frame);
      } catch (err) {
        done(err as Error);
      }
    });
  }

  /** Whether error frame `f` answers this client's `type` frame about `room` (and no earlier request took it). */
  private answers(f: ServerFrame, type: string, room: string): boolean {
    if (f.re !== type || this.claimed.has(f)) return false;
    const about = this.channels ? f.channel_id : f.room;
    return about === undefined || about === room;
  }

  /** A confirmation nobody asked for, saying a room's events were missed: the server's own catch-up failed. */
  private serverGap(frame: ServerFrame): void {
    const room = frame.type === 'user_list' ? frame.room : frame.type === 'channel_joined' ? frame.channel_id : undefined;
    if (room === undefined || !this.joined.has(room) || this.joining.has(room)) return;
    const position = positionOf(frame);
    this.emit('gap', { room, after: this.positions.get(room), position });
    if (position) this.positions.set(room, position);
    this.keepToken(room, frame);
  }

  /** Keeps the resume token a confirmation carries (the newest one is the one to present). */
  private keepToken(room: string, confirmation: ServerFrame): void {
    if (typeof confirmation.resume_token === 'string') this.resumeTokens.set(room, confirmation.resume_token);
  }

  /** Records a room message's position; false for one already seen (nothing passes twice). */
  private advance(frame: ServerFrame): boolean {
    const room = typeof frame.room === 'string' ? frame.room : typeof frame.channel_id === 'string' ? frame.channel_id : undefined;
    const position = positionOf(frame);
    if (room === undefined || position === undefined) return true;
    const last = this.positions.get(room);
    if (last && last.epoch === position.epoch && position.offset <= last.offset) return false;
    this.positions.set(room, position);
    return true;
  }

  private onFrame(data: unknown): void {
    let frame: ServerFrame;
    try {
      frame = JSON.parse(typeof data === 'string' ? data : new TextDecoder().decode(data as Uint8Array));
    } catch {
      return;
    }
    if (typeof frame !== 'object' || frame === null || typeof frame.type !== 'string') return;
    if (MESSAGE_TYPES.has(frame.type) && !this.advance(frame)) return;
    if (frame.recovered === false) this.serverGap(frame);
    this.emit('frame', frame);
    if (MESSAGE_TYPES.has(frame.type)) this.emit('message', frame);
    else if (PRESENCE_TYPES.has(frame.type)) this.emit('presence', frame);
    else if (frame.type === 'notification' || frame.type === 'system_message') this.emit('notification', frame);
    else if (frame.type === 'private_message') this.emit('private_message', frame);
    else if (frame.type === 'error') this.emit('error', frame);
  }
}

/** The stable code of an error frame: `data.code` (rooms dialect) or `code` (channels). */
function codeOf(f: ServerFrame): unknown {
  const data = f.data as { code?: unknown } | undefined;
  return typeof data === 'object' && data !== null && data.code !== undefined ? data.code : f.code;
}

function positionOf(frame: ServerFrame): StreamPosition | undefined {
  return typeof frame.offset === 'number' && typeof frame.epoch === 'string' ? { offset: frame.offset, epoch: frame.epoch } : undefined;
}
