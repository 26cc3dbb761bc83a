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
  error: [ServerFrame];
  /** Connected (again): rooms joined before a reconnect are joined again just after this. */
  open: [];
  /** The connection dropped; a reconnect follows after `delayMs` unless you closed it. */
  reconnecting: [{ attempt: number; delayMs: number; code: number }];
  /** Back in every room after a reconnect (every missed message was replayed, unless `gap` said otherwise). */
  rejoined: [string[]];
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
const MESSAGE_TYPES = new Set(['message', 'room_message', 'new_message', 'message_updated', 'message_deleted']);
const PRESENCE_TYPES = new Set(['join', 'leave', 'channel_joined', 'channel_left']);
/** Close codes after which reconnecting cannot help: the request itself was refused. */
const FINAL_CODES = new Set([1000, 1008, 1009]);

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
  /** Rooms whose join is waiting for its confirmation. */
  private readonly joining = new Set<string>();
  private readonly channels: boolean;
  private attempt = 0;
  private stopped = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

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
      reply = await this.ask(since ? { ...frame, since } : frame, this.confirms(room, true));
    } finally {
      this.joining.delete(room);
    }
    this.joined.add(room);
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
    ws.onopen = () => {
      opened = true;
      const again = this.attempt > 0;
      this.attempt = 0;
      this.emit('open');
      resolve?.();
      if (again) void this.rejoin();
    };
    ws.onmessage = (ev) => this.onFrame(ev.data);
    ws.onerror = () => undefined; // the close says why
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.emit('close', { code: ev.code, reason: ev.reason });
      if (!opened && reject && this.attempt === 0) {
        reject(new Error(`could not connect to ${this.options.url} (${ev.code})`));
        return;
      }
      if (this.stopped || FINAL_CODES.has(ev.code)) return;
      this.scheduleReconnect(ev.code);
    };
  }

  /** Exponential backoff with full jitter: a delay drawn uniformly from [0, min(max, initial × 2^attempt)]. */
  private scheduleReconnect(code: number): void {
    const initial = this.options.initialDelayMs ?? 250;
    const max = this.options.maxDelayMs ?? 10_000;
    const delayMs = Math.floor(Math.random() * Math.min(max, initial * 2 ** this.attempt));
    this.attempt += 1;
    this.emit('reconnecting', { attempt: this.attempt, delayMs, code });
    this.timer = setTimeout(() => this.open(), delayMs);
  }

  private async rejoin(): Promise<void> {
    const rooms = [...this.joined];
    try {
      await Promise.all(rooms.map((room) => this.join(room)));
      this.emit('rejoined', rooms);
    } catch {
      // The connection dropped again: the next reconnect rejoins.
    }
  }

  private confirms(room: string, join: boolean): (f: ServerFrame) => boolean {
    if (this.channels) return (f) => f.type === (join ? 'channel_joined' : 'channel_left') && f.channel_id === room;
    return (f) => f.type === 'user_list' && f.room === room;
  }

  private ask(frame: Record<string, unknown>, reply: (f: ServerFrame) => boolean): Promise<ServerFrame> {
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
        else if (f.type === 'error') done(new Error(String(f.content ?? f.message ?? 'error')));
      });
      const offClose = this.on('close', ({ code }) => done(new Error(`connection closed (${code})`)));
      try {
        this.send(frame);
      } catch (err) {
        done(err as Error);
      }
    });
  }

  /** A confirmation nobody asked for, saying a room's events were missed: the server's own catch-up failed. */
  private serverGap(frame: ServerFrame): void {
    const room = frame.type === 'user_list' ? frame.room : frame.type === 'channel_joined' ? frame.channel_id : undefined;
    if (room === undefined || !this.joined.has(room) || this.joining.has(room)) return;
    const position = positionOf(frame);
    this.emit('gap', { room, after: this.positions.get(room), position });
    if (position) this.positions.set(room, position);
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

function positionOf(frame: ServerFrame): StreamPosition | undefined {
  return typeof frame.offset === 'number' && typeof frame.epoch === 'string' ? { offset: frame.offset, epoch: frame.epoch } : undefined;
}
