import { backoffDelay } from './backoff';
import type { JoinConfirmation, SwitchboardClientOptions, SwitchboardEvents } from './client-events';
import { CloseCodes, verdict } from './close-policy';
import { Emitter } from './emitter';
import { Endpoints } from './endpoints';
import { SwitchboardError } from './errors';
import { codeOf, isMessage, isPresence, type Limits, limitsOf, reasonOf, roomOf, type ServerFrame } from './frames';
import { Outbox, publishId, type Published } from './outbox';
import { costOf, frameBytes, Pacer } from './pacer';
import { type Gap, RoomPositions } from './resume';
import { Requests } from './requests';
import { Room } from './room';
import { TokenKeeper } from './token';
import { Transports } from './transports';
import type { WebSocketLike } from './types';

export { SwitchboardError } from './errors';

const OPEN = 1;
/** A refused handshake as Node's `ws` reports it (browsers tell nothing but 1006). */
const HANDSHAKE_STATUS = /Unexpected server response: (\d{3})/;

type State = 'idle' | 'connecting' | 'open' | 'waiting' | 'stopped' | 'failed';

/**
 * A client of the rooms (seeds 001, 002) and channels (seed 003) dialects. It keeps the rooms
 * you joined and, when the connection drops (a replica drained with 1012, a network cut, a
 * replica lost), reconnects — over `urls`, with exponential backoff and full jitter — and joins
 * them again, resuming each from the last message it saw (`since`). Publishes are
 * acknowledged, queued while disconnected and resent with their id, so each reaches its room
 * exactly once. A JWT from a token function is renewed on the open connection before it expires.
 */
export class SwitchboardClient extends Emitter<SwitchboardEvents> {
  private ws: WebSocketLike | undefined;
  private state: State = 'idle';
  private failure: SwitchboardError | undefined;
  private readonly endpoints: Endpoints;
  private readonly channels: boolean;
  private readonly joined = new Set<string>();
  /** Rooms whose join is waiting for its confirmation on the current connection. */
  private readonly joining = new Set<string>();
  /** Rooms a `join()` call is after (across reconnects until it settles). */
  private readonly wanted = new Set<string>();
  /** Rooms confirmed on the current connection: their publishes may go. */
  private readonly live = new Set<string>();
  private readonly positions = new RoomPositions();
  private readonly roomObjects = new Map<string, Room>();
  private readonly outbox: Outbox;
  /** The number of the current connection (one more per connection opened). */
  private connection = 0;
  private everConnected = false;
  /** Failed attempts since the last connection (the backoff's exponent). */
  private attempt = 0;
  /** Auth refusals since the last connection: a token function gets one more chance. */
  private authRefusals = 0;
  /** A `connect()` call waits: reject it once every URL failed once. */
  private giveUpAfterRound = false;
  private failedAttempts = 0;
  private waiters: Array<{ resolve(): void; reject(err: Error): void }> = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly tokens: TokenKeeper;
  private limits: Limits | undefined;
  private pacer = new Pacer(undefined, 0);
  private readonly requests: Requests;
  private readonly transports: Transports;

  constructor(private readonly options: SwitchboardClientOptions) {
    super();
    const source = options.urls ?? options.url;
    if (source === undefined) throw new Error('SwitchboardClient: give `url` or `urls`');
    this.endpoints = new Endpoints(source);
    this.transports = new Transports(options.transports, options.upgradeTimeoutMs);
    this.tokens = new TokenKeeper(options.token, { refresh: (token) => this.send({ type: 'refresh', token }), failed: (err) => this.tokenFailed(err) });
    const first = this.endpoints.first;
    this.channels = options.dialect ? options.dialect === 'channels' : first !== undefined && new URL(first).pathname.startsWith('/api/v1/ws');
    // A request's frame waited for (and took) its share of the rate first: it goes as it is.
    this.requests = new Requests(this, (frame) => this.send(frame, true), this.channels, options.timeoutMs ?? 10_000, (frame) => this.pacer.take(Date.now(), costOf(frame, this.limits)));
    this.outbox = new Outbox(
      {
        connection: () => (this.connected ? this.connection : undefined),
        live: (room) => this.live.has(room),
        maxBytes: () => this.limits?.maxMessageSize,
        wait: () => this.pacer.take(Date.now()),
        write: (text) => this.ws!.send(text),
      },
      { maxQueued: options.maxQueued ?? 1000, timeoutMs: options.publishTimeoutMs ?? 30_000 },
    );
  }

  /** Rooms (or channels) this client is in, and will be in again after a reconnect. */
  get rooms(): string[] {
    return [...this.joined];
  }

  get connected(): boolean {
    return this.ws?.readyState === OPEN && this.state === 'open';
  }

  /** Closed by `close()`, or failed. */
  private get ended(): boolean {
    return this.state === 'stopped' || this.state === 'failed';
  }

  /** Publishes waiting for their acknowledgement. */
  get queued(): number {
    return this.outbox.size;
  }

  /** The room `name`: join it, publish to it, hear its events. The same object for the same name. */
  room(name: string): Room {
    let room = this.roomObjects.get(name);
    if (!room) this.roomObjects.set(name, (room = new Room(name, this)));
    return room;
  }

  /**
   * Opens the connection; resolves once it is open. Rejects when every URL failed once (a
   * join or publish instead keeps trying), or the client failed.
   */
  connect(): Promise<void> {
    if (this.state === 'failed') return Promise.reject(this.failure);
    if (this.connected) return Promise.resolve();
    if (this.state === 'stopped') this.state = 'idle';
    if (this.state === 'idle') {
      this.giveUpAfterRound = true;
      this.failedAttempts = 0;
    }
    const connected = this.whenConnected();
    this.start();
    return connected;
  }

  /**
   * Joins a room (or channel), connecting first if need be; resolves once the server confirmed
   * the membership. A connection lost before the confirmation is not a refusal: the join is
   * asked again on the next one. Rejects with the server's refusal, the timeout, or the client's
   * failure — and then so do the room's publishes made meanwhile.
   */
  async join(room: string): Promise<JoinConfirmation> {
    this.wanted.add(room);
    try {
      for (;;) {
        if (this.state === 'failed') throw this.failure;
        if (this.state === 'stopped') throw new SwitchboardError('closed', 'the client was closed', room);
        if (!this.connected) {
          const connected = this.whenConnected();
          this.start();
          await connected;
        }
        try {
          return await this.joinOnce(room);
        } catch (err) {
          const lost = err instanceof SwitchboardError && err.code === 'closed' && !this.joined.has(room);
          if (!lost || this.ended) throw err;
        }
      }
    } catch (err) {
      if (!this.joined.has(room)) this.outbox.rejectAll(err as Error, room);
      throw err;
    } finally {
      this.wanted.delete(room);
    }
  }

  /** Asks the current connection to join `room` (resuming it when it was joined before). */
  private async joinOnce(room: string): Promise<JoinConfirmation> {
    this.joining.add(room);
    let reply: JoinConfirmation;
    const since = this.joined.has(room) ? this.positions.joinFields(room) : {};
    try {
      reply = (await this.requests.join(room, since)) as JoinConfirmation;
    } finally {
      this.joining.delete(room);
    }
    this.joined.add(room);
    this.live.add(room);
    const gap = this.positions.confirmed(room, since.since, reply);
    if (gap) this.gap(gap);
    this.outbox.flush();
    return reply;
  }

  /** Leaves a room (or channel); its publishes not yet acknowledged reject. */
  async leave(room: string): Promise<void> {
    this.joined.delete(room);
    this.live.delete(room);
    this.positions.forget(room);
    this.outbox.rejectAll(new SwitchboardError('not_in_room', `left room "${room}" before the message was acknowledged`, room), room);
    if (this.connected) this.send(this.channels ? { type: 'leave_channel', channel_id: room } : { type: 'leave', room });
  }

  /** Publishes to a room (or channel) you joined or are joining: see {@link Room.publish}. */
  publish(room: string, content: string): Promise<Published> {
    if (this.state === 'failed') return Promise.reject(this.failure);
    if (this.state === 'stopped') return Promise.reject(new SwitchboardError('closed', 'the client was closed', room));
    if (!this.joined.has(room) && !this.wanted.has(room) && !this.joining.has(room)) {
      return Promise.reject(new SwitchboardError('not_in_room', `join room "${room}" before publishing to it`, room));
    }
    const id = publishId();
    const text = JSON.stringify(this.channels ? { type: 'message', channel_id: room, content, id } : { type: 'message', room, content, id });
    return this.outbox.add(id, room, text, frameBytes(text));
  }

  /** Says something to a room now, without an acknowledgement (throws while disconnected); `publish` is the reliable way. */
  say(room: string, content: string): void {
    if (this.channels) throw new Error('channels take messages through POST /api/v1/messages');
    this.send({ type: 'message', room, content });
  }

  /** Sends any frame of the dialect now (throws while disconnected). */
  send(frame: Record<string, unknown>, paced = false): void {
    if (!this.connected) throw new Error('not connected');
    if (!paced) this.pacer.force(Date.now(), costOf(frame, this.limits));
    this.ws!.send(JSON.stringify(frame));
  }

  /** Closes for good: no reconnect; publishes not yet acknowledged reject (`closed`). */
  close(): void {
    if (this.state === 'failed') return;
    this.state = 'stopped';
    this.stopTimers();
    const closed = new SwitchboardError('closed', 'the client was closed');
    this.settleWaiters(closed);
    this.outbox.rejectAll(closed);
    this.ws?.close(1000, 'client closed');
  }

  private start(): void {
    if (this.state === 'idle') this.dial();
  }

  private whenConnected(): Promise<void> {
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private settleWaiters(err?: Error): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      if (err) w.reject(err);
      else w.resolve();
    }
  }

  /** One attempt: the URL and the credential (asked for now when they come from functions), then the socket. */
  private dial(): void {
    this.state = 'connecting';
    const url = this.endpoints.current();
    const credential = this.tokens.next();
    if (typeof url === 'string' && (credential === undefined || typeof credential === 'string')) return this.open(url, credential);
    Promise.resolve(url).then(
      (u) =>
        Promise.resolve(credential).then(
          (c) => this.open(u, c),
          (err: unknown) => this.tokenFailed(err),
        ),
      () => this.attemptFailed(1006, false),
    );
  }

  private open(url: string, token: string | undefined): void {
    if (this.state !== 'connecting') return; // closed (or failed) while the URL or the token was asked for
    const expiry = this.tokens.use(token);
    if (expiry !== undefined && expiry * 1000 <= Date.now()) {
      const from = this.tokens.renewable ? 'the token function gave a token that' : 'the token';
      return this.fail(new SwitchboardError('token_expired', `${from} expired at ${new Date(expiry * 1000).toISOString()}`));
    }
    const transport = this.transports.current;
    this.emit('connecting', { url, attempt: this.attempt, transport });
    // `limits`: the server's first frame gives the limits it enforces on this connection.
    const ws = this.transports.open(url, token, this.options.apiKey, { limits: '1' });
    this.ws = ws;
    let opened = false;
    let status: number | undefined;
    ws.onopen = () => {
      if (this.ws !== ws || this.state !== 'connecting') return;
      opened = true;
      this.opened(url, transport);
    };
    ws.onmessage = (ev) => {
      if (this.ws === ws) this.onFrame(ev.data);
    };
    // The close says why, except for a refused handshake: Node's `ws` names its status here.
    ws.onerror = (ev) => {
      const match = HANDSHAKE_STATUS.exec(String((ev as { message?: unknown } | null)?.message ?? ''));
      if (match) status = Number(match[1]);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      this.closed(url, ev.code, ev.reason, opened, status);
    };
  }

  private opened(url: string, transport: Transports['current']): void {
    const again = this.everConnected;
    this.state = 'open';
    this.connection += 1;
    this.everConnected = true;
    this.attempt = 0;
    this.authRefusals = 0;
    this.giveUpAfterRound = false;
    this.failedAttempts = 0;
    this.pacer = new Pacer(this.limits, Date.now());
    this.live.clear();
    this.tokens.schedule(this.isCurrent());
    this.emit('open');
    this.emit('connected', { url, transport });
    this.settleWaiters();
    if (again) void this.rejoin();
  }

  private closed(url: string, code: number, reason: string, opened: boolean, status: number | undefined): void {
    this.tokens.stop();
    this.live.clear();
    this.emit('close', { code, reason });
    const end = (willReconnect: boolean): void => {
      if (opened) this.emit('disconnected', { code, reason, willReconnect });
    };
    if (this.ended) return end(false);
    const next = verdict({ code, reason, status, opened, url, renewable: this.tokens.renewable, authRefusals: this.authRefusals });
    if ('fail' in next) {
      end(false);
      if (next.unauthorized) this.emit('unauthorized', { code, status });
      return this.fail(next.fail);
    }
    if (next.authRefused) this.authRefusals += 1; // the token function is asked again for the next attempt
    end(true);
    if (!opened && this.giveUpAfterRound && ++this.failedAttempts >= this.endpoints.count * this.transports.count) {
      this.state = 'idle';
      this.giveUpAfterRound = false;
      return this.settleWaiters(new Error(`could not connect to ${url} (${status === undefined ? code : `HTTP ${status}`})`));
    }
    this.attemptFailed(code, opened);
  }

  /** Moves on to the next transport after a failed attempt (the next URL once each failed there), or the next URL after a drain; reconnects after a jittered backoff. */
  private attemptFailed(code: number, opened: boolean): void {
    const wrapped = this.transports.ended(opened);
    if (code === CloseCodes.ServiceRestart || (!opened && wrapped)) this.endpoints.moveOn();
    const delayMs = backoffDelay(this.attempt, this.options.initialDelayMs ?? 250, this.options.maxDelayMs ?? 10_000);
    this.attempt += 1;
    this.state = 'waiting';
    this.emit('reconnecting', { attempt: this.attempt, delayMs, code });
    this.timer = setTimeout(() => {
      if (this.state === 'waiting') this.dial();
    }, delayMs);
  }

  /** Stops for good, once: everything waiting rejects with `err`. */
  private fail(err: SwitchboardError): void {
    if (this.state === 'failed') return;
    this.state = 'failed';
    this.failure = err;
    this.stopTimers();
    const ws = this.ws;
    this.ws = undefined;
    if (ws?.readyState === OPEN) this.emit('disconnected', { code: 1000, reason: err.message, willReconnect: false });
    if (ws && ws.readyState <= OPEN) ws.close(1000, 'client failed');
    this.settleWaiters(err);
    this.outbox.rejectAll(err);
    this.emit('failed', err);
  }

  private stopTimers(): void {
    clearTimeout(this.timer);
    this.tokens.stop();
  }

  /** Whether the connection open now is still the one at the time of asking. */
  private isCurrent(): () => boolean {
    const connection = this.connection;
    return () => this.connected && this.connection === connection;
  }

  private tokenFailed(err: unknown): void {
    this.fail(new SwitchboardError('token_failed', `the token function failed: ${(err as Error)?.message ?? String(err)}`));
  }

  /** Joins every room again. A room the server refuses is dropped (`rejoin_failed`); if the connection drops again meanwhile, the rooms are kept. */
  private async rejoin(): Promise<void> {
    const rooms = [...this.joined];
    const connection = this.connection;
    const results = await Promise.allSettled(rooms.map((room) => this.joinOnce(room)));
    if (this.connection !== connection || !this.connected) return; // dropped again: the next reconnect rejoins
    const back: string[] = [];
    results.forEach((result, i) => {
      const room = rooms[i];
      if (result.status === 'fulfilled') return void back.push(room);
      this.joined.delete(room);
      this.positions.forget(room);
      this.outbox.rejectAll(result.reason as Error, room);
      this.emit('rejoin_failed', { room, error: result.reason as Error });
    });
    this.emit('rejoined', back);
  }

  private gap(gap: Gap): void {
    this.emit('gap', gap);
    this.roomObjects.get(gap.room)?.deliver('gap', gap);
  }

  private onFrame(data: unknown): void {
    let frame: ServerFrame;
    try {
      frame = JSON.parse(typeof data === 'string' ? data : new TextDecoder().decode(data as Uint8Array));
    } catch {
      return;
    }
    if (typeof frame !== 'object' || frame === null || typeof frame.type !== 'string') return;
    if (isMessage(frame) && !this.positions.advance(frame)) return;
    const limits = limitsOf(frame);
    if (limits) this.announced(limits);
    if ((frame as { recovered?: unknown }).recovered === false) this.serverGap(frame);
    this.emit('frame', frame);
    const room = roomOf(frame);
    const target = room === undefined ? undefined : this.roomObjects.get(room);
    switch (frame.type) {
      case 'ack':
        return this.outbox.ack(frame);
      case 'refreshed':
        this.tokens.refreshed(typeof frame.exp === 'number' ? frame.exp : undefined, this.isCurrent());
        return this.emit('refreshed', { exp: frame.exp });
      case 'notification':
      case 'system_message':
        return this.emit('notification', frame);
      case 'private_message':
        return this.emit('private_message', frame);
      case 'error':
        if (frame.re === 'message' && room !== undefined) this.outbox.refused(new SwitchboardError(codeOf(frame), reasonOf(frame), room), frame.id);
        return this.emit('error', frame);
    }
    if (isMessage(frame)) {
      this.emit('message', frame);
      target?.deliver('message', frame);
    } else if (isPresence(frame)) {
      this.emit('presence', frame);
      if (!target || this.requests.took(frame)) return; // a confirmation of this client's own join
      target.deliver('presence', frame);
      target.deliver(frame.type === 'join' || frame.type === 'channel_joined' ? 'join' : 'leave', frame);
    }
  }

  private announced(limits: Limits): void {
    this.limits = limits;
    this.pacer = new Pacer(limits, Date.now());
    this.emit('limits', limits);
    this.outbox.flush();
  }

  /** A confirmation nobody asked for, saying a room's events were missed: the server's own catch-up failed. */
  private serverGap(frame: ServerFrame): void {
    const room = frame.type === 'user_list' ? frame.room : frame.type === 'channel_joined' ? frame.channel_id : undefined;
    if (room === undefined || !this.joined.has(room) || this.joining.has(room)) return;
    this.gap(this.positions.serverGap(room, frame));
  }
}
