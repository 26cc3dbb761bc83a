import { Emitter } from './emitter';
import { runtime } from './runtime';
import type { WebSocketLike } from './types';

/** Credentials for `/signaling`: an API key from `register`, or a JWT from `login`. */
export type SignalingCredentials = { apiKey: string; token?: undefined } | { token: string; apiKey?: undefined };

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
}

export interface SignalingEvents {
  /** You joined (or created) a room; `peers` were there before you. */
  joined: [{ roomId: number; peers: number[] }];
  peer_joined: [{ roomId: number; clientId: number }];
  peer_left: [{ roomId: number; clientId: number }];
  signal: [Signal];
  /** An error not answering a request of yours (e.g. a relay to a peer that is gone: `re` names the relay). */
  error: [SignalingError];
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

const OPEN = 1;
const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * The WebSocket signaling client of seed 004: connect with an API key (or a JWT), get a
 * `clientId`, create or join rooms, and exchange offers, answers and ICE candidates with
 * the peers of your rooms. Each request waits for its reply, or for an error naming it
 * (`re`, and the room of a join), at most `timeoutMs`; any other error is an `error` event.
 */
export class SignalingClient extends Emitter<SignalingEvents> {
  /** The id the server gave this connection: a positive integer, unique in the cluster. */
  clientId = 0;
  /** Rooms this client is in. */
  readonly rooms = new Set<number>();
  private readonly pending: Pending[] = [];

  private constructor(
    private readonly ws: WebSocketLike,
    private readonly timeoutMs: number,
  ) {
    super();
  }

  /** Connects to `url` (`ws(s)://host/signaling`) and resolves on the server's `welcome`. */
  static connect(url: string, credentials: SignalingCredentials, options: SignalingClientOptions = {}): Promise<SignalingClient> {
    const target = new URL(url);
    if (credentials.apiKey !== undefined) target.searchParams.set('api_key', credentials.apiKey);
    else target.searchParams.set('token', credentials.token);
    const ws = runtime().createWebSocket(target.toString());
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const client = new SignalingClient(ws, timeoutMs);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        ws.close();
        reject(new Error(`no welcome from ${url} within ${timeoutMs} ms`));
      }, timeoutMs);
      ws.onmessage = (ev) => {
        const frame = parse(ev.data);
        if (frame?.type === 'welcome' && isId(frame.client_id)) {
          clearTimeout(timer);
          client.clientId = frame.client_id;
          ws.onmessage = (e) => client.onFrame(e.data);
          resolve(client);
        } else if (frame?.type === 'error') {
          clearTimeout(timer);
          reject(errorOf(frame));
        }
      };
      ws.onerror = () => undefined; // the close that follows says why
      ws.onclose = (ev) => {
        clearTimeout(timer);
        reject(new Error(`signaling connection closed before welcome (${ev.code}${ev.reason ? ` ${ev.reason}` : ''}); check the URL and the credentials`));
        client.closed(ev.code, ev.reason);
      };
    });
  }

  get open(): boolean {
    return this.ws.readyState === OPEN;
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

  /** Sends an offer, answer or ICE candidate to a peer of one of your rooms. */
  signal(type: SignalType, to: number, data: unknown): void {
    this.write({ type, to, data });
  }

  async ping(): Promise<void> {
    await this.request({ re: 'ping', expect: 'pong' }, { type: 'ping' });
  }

  close(): void {
    this.ws.close(1000, 'client closed');
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

  private closed(code: number, reason: string): void {
    for (const p of this.pending.splice(0)) p.reject(new Error(`signaling connection closed (${code})`));
    this.rooms.clear();
    this.emit('close', { code, reason });
  }
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
