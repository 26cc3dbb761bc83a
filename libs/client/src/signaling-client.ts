import { backoffDelay } from './backoff';
import { Emitter } from './emitter';
import { type TransportName, Transports } from './transports';
import type { WebSocketLike } from './types';

/** Credentials for `/signaling`: an API key from `register`, or a JWT from `login`. */
export type SignalingCredentials = { apiKey: string; token?: undefined } | { token: string; apiKey?: undefined };

/** Credentials, or a function that gives them for each connection (a token that may have been renewed). */
export type SignalingCredentialSource = SignalingCredentials | (() => SignalingCredentials | Promise<SignalingCredentials>);

export type SignalType = 'offer' | 'answer' | 'ice_candidate';

/** A relayed offer, answer or ICE candidate. */
export interface Signal {
  type: SignalType;
  from: number;
  data: unknown;
}

/** An `error` frame from the server. */
export class SignalingError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** The `type` of the frame it answers (`re`), when the server named one. */
    readonly re?: string,
    /** The room that frame named (`room_id`), if any. */
    readonly roomId?: number,
  ) {
    super(message);
    this.name = 'SignalingError';
  }
}

export interface SignalingClientOptions {
  /** How long `connect` waits for `welcome`, and each request for its reply. Default 10 s. */
  timeoutMs?: number;
  /** More replicas to try after a lost connection, in turn after the first URL. */
  urls?: string[];
  /** Reconnect (and resume) after a lost connection. Default true. */
  reconnect?: boolean;
  /** Backoff with full jitter: each delay is drawn from [0, min(maxDelayMs, initialDelayMs × 2^attempt)]. Defaults 100 ms and 5 s. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /**
   * The transports to try, in order, at each connection: `websocket`, then `sse` (a stream and
   * POSTs, docs/protocol/sse.md) when the upgrade is refused or has not opened within
   * `upgradeTimeoutMs`. Default `['websocket', 'sse']`.
   */
  transports?: TransportName[];
  /** How long a WebSocket upgrade may take before the next transport is tried. Default 5 s. */
  upgradeTimeoutMs?: number;
}

export interface SignalingEvents {
  /** You joined (or created) a room; `peers` were there before you. */
  joined: [{ roomId: number; peers: number[] }];
  peer_joined: [{ roomId: number; clientId: number }];
  peer_left: [{ roomId: number; clientId: number }];
  signal: [Signal];
  /** An error not answering a request of yours (e.g. a relay to a peer that is gone: `re` names the relay). */
  error: [SignalingError];
  /** The connection was lost; the next attempt comes after `delayMs`. Signals sent meanwhile wait. */
  reconnecting: [{ attempt: number; delayMs: number; code: number }];
  /** Back with the same `clientId` and rooms (with their peers now); nobody saw you leave. Waiting signals are sent. */
  resumed: [{ clientId: number; rooms: Array<{ roomId: number; peers: number[] }> }];
  /** Back, but the resume window was missed: a new `clientId`, the old rooms are being joined again (`joined` follows). */
  failed: [{ previousId: number; clientId: number }];
  /** The client is closed for good (by `close()`, or a refusal a reconnect cannot fix). */
  close: [{ code: number; reason: string }];
}

interface Pending {
  /** The `type` of the request frame: an error naming it (`re`) answers it. */
  re: 'create_room' | 'join_room' | 'ping';
  expect: 'room_created' | 'room_joined' | 'pong';
  /** The room a `join_room` asked for. */
  roomId?: number;
  resolve(frame: Record<string, unknown>): void;
  reject(err: Error): void;
}

/** How a connection began: a fresh peer (`welcome`, after a failed resume when `failed`) or a resumed one. */
type Greeting = { type: 'welcome'; clientId: number; token?: string; failed: boolean } | { type: 'resumed'; clientId: number; token?: string; rooms: Array<{ roomId: number; peers: number[] }> };

const OPEN = 1;
const DEFAULT_TIMEOUT_MS = 10_000;
/** Closes a reconnect cannot fix: the credential was revoked. */
const FINAL_CODES = new Set([4001]);

/**
 * The signaling client of seed 004, over a WebSocket or, where the upgrade is refused, SSE
 * (`transports`, as the chat client): connect with an API key (or a JWT), get a
 * `clientId`, create or join rooms, and exchange offers, answers and ICE candidates with
 * the peers of your rooms. Each request waits for its reply, or for an error naming it
 * (`re`, and the room of a join), at most `timeoutMs`; any other error is an `error` event.
 *
 * A lost connection is not the end: it reconnects (backoff with full jitter, over `urls`)
 * and resumes its identity with the server's resume token — the same `clientId` and rooms,
 * and the others never see it leave (`resumed`). Signals sent meanwhile wait and go out once
 * it is back. If the server's resume window was missed it goes on as a new peer (`failed`)
 * and joins its rooms again.
 */
export class SignalingClient extends Emitter<SignalingEvents> {
  /** The id the server gave this peer: a positive integer, unique in the cluster; it changes only on `failed`. */
  clientId = 0;
  /** Rooms this client is in. */
  readonly rooms = new Set<number>();
  private readonly pending: Pending[] = [];
  private ws!: WebSocketLike;
  private resumeToken: string | undefined;
  private readonly urls: string[];
  private readonly timeoutMs: number;
  /** Frames (signals) written while the connection is away, sent once it is back with the same id. */
  private waiting: Array<Record<string, unknown>> = [];
  private attempt = 0;
  private closedForGood = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly transports: Transports;
  /** The transport of the current (or last) connection. */
  transport: TransportName = 'websocket';

  private constructor(
    url: string,
    private readonly credentials: SignalingCredentialSource,
    private readonly options: SignalingClientOptions,
  ) {
    super();
    this.urls = [url, ...(options.urls ?? []).filter((u) => u !== url)];
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.transports = new Transports(options.transports, options.upgradeTimeoutMs);
  }

  /** Connects to `url` (`ws(s)://host/signaling`) and resolves on the server's `welcome`. */
  static async connect(url: string, credentials: SignalingCredentialSource, options: SignalingClientOptions = {}): Promise<SignalingClient> {
    const client = new SignalingClient(url, credentials, options);
    const greeting = await client.dial(url);
    client.clientId = greeting.clientId;
    return client;
  }

  get open(): boolean {
    return this.ws.readyState === OPEN;
  }

  /** True while the connection is away and being re-established. */
  get reconnecting(): boolean {
    return !this.closedForGood && this.ws.readyState !== OPEN;
  }

  /** Creates a room, enters it, and resolves with its id. */
  async createRoom(): Promise<number> {
    const frame = await this.request({ re: 'create_room', expect: 'room_created' }, { type: 'create_room' });
    return frame.room_id as number;
  }

  /** Joins an existing room; resolves with the ids of the peers already in it (on any replica). */
  async joinRoom(roomId: number): Promise<number[]> {
    const frame = await this.request({ re: 'join_room', expect: 'room_joined', roomId }, { type: 'join_room', room_id: roomId });
    return frame.peers as number[];
  }

  /** Leaves one room, or every room. */
  leaveRoom(roomId?: number): void {
    this.write(roomId === undefined ? { type: 'leave_room' } : { type: 'leave_room', room_id: roomId });
    if (roomId === undefined) this.rooms.clear();
    else this.rooms.delete(roomId);
  }

  /** Sends an offer, answer or ICE candidate to a peer of one of your rooms; while reconnecting it waits. */
  signal(type: SignalType, to: number, data: unknown): void {
    if (this.reconnecting) this.waiting.push({ type, to, data });
    else this.write({ type, to, data });
  }

  async ping(): Promise<void> {
    await this.request({ re: 'ping', expect: 'pong' }, { type: 'ping' });
  }

  /** Closes for good: the server is told (the others get `peer_left` at once), no reconnect. */
  close(): void {
    this.closedForGood = true;
    clearTimeout(this.timer);
    if (this.ws.readyState === OPEN) this.ws.close(1000, 'client closed');
    else this.finish(1000, 'client closed');
  }

  /**
   * Drops the connection without a goodbye, as a network cut would: the client reconnects
   * and resumes. For tests and for a client that knows its network changed.
   */
  drop(): void {
    this.ws.close(4000, 'dropped by the client');
  }

  /**
   * Opens a connection (resuming when it holds a token) and resolves on its greeting. An attempt
   * that never opened (an upgrade refused or held) is followed at once by the next transport;
   * once each failed, the last failure rejects.
   */
  private async dial(url: string): Promise<Greeting> {
    const credentials = typeof this.credentials === 'function' ? await this.credentials() : this.credentials;
    for (;;) {
      const transport = this.transports.current;
      try {
        const greeting = await this.dialOnce(url, credentials);
        this.transport = transport;
        this.transports.ended(true); // the next connection tries the first transport again
        return greeting;
      } catch (err) {
        const opened = (err as { opened?: boolean }).opened === true;
        if (this.transports.ended(opened) || this.closedForGood) throw err;
      }
    }
  }

  /** One attempt over the current transport; a rejection says whether the connection had opened. */
  private dialOnce(url: string, credentials: SignalingCredentials): Promise<Greeting> {
    const query: Record<string, string> = this.resumeToken === undefined ? {} : { resume: this.resumeToken };
    const ws = this.transports.open(url, credentials.token, credentials.apiKey, query);
    return new Promise<Greeting>((resolve, reject) => {
      let failed = false;
      let opened = false;
      const timer = setTimeout(() => {
        ws.close();
        reject(Object.assign(new Error(`no welcome from ${url} within ${this.timeoutMs} ms`), { opened }));
      }, this.timeoutMs);
      ws.onopen = () => {
        opened = true;
      };
      ws.onmessage = (ev) => {
        const frame = parse(ev.data);
        if (frame?.type === 'error' && frame.code === 'resume_failed') {
          failed = true;
          return;
        }
        if ((frame?.type === 'welcome' || frame?.type === 'resumed') && isId(frame.client_id)) {
          clearTimeout(timer);
          this.ws = ws;
          this.resumeToken = typeof frame.resume_token === 'string' ? frame.resume_token : undefined;
          ws.onmessage = (e) => this.onFrame(e.data);
          ws.onclose = (e) => this.lost(e.code, e.reason);
          const token = this.resumeToken;
          if (frame.type === 'welcome') resolve({ type: 'welcome', clientId: frame.client_id, token, failed });
          else resolve({ type: 'resumed', clientId: frame.client_id, token, rooms: roomsOf(frame.rooms) });
        } else if (frame?.type === 'error') {
          clearTimeout(timer);
          ws.close();
          reject(Object.assign(errorOf(frame), { opened }));
        }
      };
      ws.onerror = () => undefined; // the close that follows says why
      ws.onclose = (ev) => {
        clearTimeout(timer);
        reject(Object.assign(new Error(`signaling connection closed before welcome (${ev.code}${ev.reason ? ` ${ev.reason}` : ''}); check the URL and the credentials`), { code: ev.code, opened }));
      };
    });
  }

  /** The connection closed: reconnect, unless this client is closed or the close says a reconnect cannot help. */
  private lost(code: number, reason: string): void {
    for (const p of this.pending.splice(0)) p.reject(new Error(`signaling connection lost (${code})`));
    if (this.closedForGood || this.options.reconnect === false || FINAL_CODES.has(code)) return this.finish(code, reason);
    this.scheduleReconnect(code);
  }

  private scheduleReconnect(code: number): void {
    const delayMs = backoffDelay(this.attempt, this.options.initialDelayMs ?? 100, this.options.maxDelayMs ?? 5000);
    this.attempt += 1;
    this.emit('reconnecting', { attempt: this.attempt, delayMs, code });
    this.timer = setTimeout(() => void this.reconnect(code), delayMs);
  }

  private async reconnect(code: number): Promise<void> {
    if (this.closedForGood) return;
    const url = this.urls[(this.attempt - 1) % this.urls.length];
    let greeting: Greeting;
    try {
      greeting = await this.dial(url);
    } catch (err) {
      const closed = (err as { code?: number }).code;
      if (closed !== undefined && FINAL_CODES.has(closed)) return this.finish(closed, (err as Error).message);
      return this.scheduleReconnect(code);
    }
    if (this.closedForGood) return this.ws.close(1000, 'client closed');
    this.attempt = 0;
    if (greeting.type === 'resumed') {
      this.rooms.clear();
      for (const r of greeting.rooms) this.rooms.add(r.roomId);
      const waiting = this.waiting.splice(0);
      this.emit('resumed', { clientId: this.clientId, rooms: greeting.rooms });
      for (const frame of waiting) this.write(frame);
      return;
    }
    // A new peer: what waited was meant for peers that knew the old id.
    this.waiting = [];
    const previousId = this.clientId;
    const rooms = [...this.rooms];
    this.rooms.clear();
    this.clientId = greeting.clientId;
    this.emit('failed', { previousId, clientId: this.clientId });
    for (const room of rooms) this.joinRoom(room).catch((err: Error) => this.emit('error', err instanceof SignalingError ? err : new SignalingError('rejoin_failed', err.message, 'join_room', room)));
  }

  private finish(code: number, reason: string): void {
    this.closedForGood = true;
    this.rooms.clear();
    this.waiting = [];
    this.emit('close', { code, reason });
  }

  /** Sends a request; settles on its reply, an error naming it, the close, or after `timeoutMs`. */
  private request(what: Pick<Pending, 're' | 'expect' | 'roomId'>, frame: Record<string, unknown>): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.forget(pending);
        reject(new Error(`no reply to ${what.re} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      const pending: Pending = {
        ...what,
        resolve: (f) => (clearTimeout(timer), resolve(f)),
        reject: (err) => (clearTimeout(timer), reject(err)),
      };
      this.pending.push(pending);
      try {
        this.write(frame);
      } catch (err) {
        this.forget(pending);
        pending.reject(err as Error);
      }
    });
  }

  private forget(pending: Pending): void {
    const i = this.pending.indexOf(pending);
    if (i >= 0) this.pending.splice(i, 1);
  }

  private write(frame: Record<string, unknown>): void {
    if (this.ws.readyState !== OPEN) throw new Error('signaling connection is not open');
    this.ws.send(JSON.stringify(frame));
  }

  private onFrame(data: unknown): void {
    const frame = parse(data);
    if (!frame) return;
    switch (frame.type) {
      case 'room_created':
      case 'room_joined': {
        if (!isId(frame.room_id)) return;
        this.rooms.add(frame.room_id);
        const peers = Array.isArray(frame.peers) ? frame.peers.filter(isId) : [];
        this.settle(frame.type, frame.room_id, { ...frame, peers });
        this.emit('joined', { roomId: frame.room_id, peers });
        return;
      }
      case 'pong':
        return this.settle('pong', undefined, frame);
      case 'peer_joined':
      case 'peer_left':
        if (isId(frame.room_id) && isId(frame.client_id)) this.emit(frame.type, { roomId: frame.room_id, clientId: frame.client_id });
        return;
      case 'offer':
      case 'answer':
      case 'ice_candidate':
        if (isId(frame.from)) this.emit('signal', { type: frame.type, from: frame.from, data: frame.data });
        return;
      case 'error': {
        const err = errorOf(frame);
        // Only an error naming a request answers it; a relay's (or one naming nothing) is an event.
        const i = this.pending.findIndex((p) => p.re === err.re && (err.roomId === undefined || p.roomId === undefined || p.roomId === err.roomId));
        if (i >= 0) this.pending.splice(i, 1)[0].reject(err);
        else this.emit('error', err);
        return;
      }
    }
  }

  /** Resolves the oldest request waiting for `type` (a join: for this room). */
  private settle(type: Pending['expect'], roomId: number | undefined, frame: Record<string, unknown>): void {
    const i = this.pending.findIndex((p) => p.expect === type && (p.roomId === undefined || p.roomId === roomId));
    if (i >= 0) this.pending.splice(i, 1)[0].resolve(frame);
  }
}

function roomsOf(value: unknown): Array<{ roomId: number; peers: number[] }> {
  if (!Array.isArray(value)) return [];
  return value
    .filter((r): r is { room_id: number; peers?: unknown } => typeof r === 'object' && r !== null && isId((r as { room_id?: unknown }).room_id))
    .map((r) => ({ roomId: r.room_id, peers: Array.isArray(r.peers) ? r.peers.filter(isId) : [] }));
}

function parse(data: unknown): Record<string, any> | undefined {
  if (typeof data !== 'string') data = new TextDecoder().decode(data as Uint8Array);
  try {
    const value = JSON.parse(data as string);
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}

function errorOf(frame: Record<string, unknown>): SignalingError {
  return new SignalingError(String(frame.code), String(frame.message), typeof frame.re === 'string' ? frame.re : undefined, isId(frame.room_id) ? frame.room_id : undefined);
}

function isId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}
