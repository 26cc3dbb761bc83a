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
  ) {
    super(message);
    this.name = 'SignalingError';
  }
}

export interface SignalingEvents {
  /** You joined (or created) a room; `peers` were there before you. */
  joined: [{ roomId: number; peers: number[] }];
  peer_joined: [{ roomId: number; clientId: number }];
  peer_left: [{ roomId: number; clientId: number }];
  signal: [Signal];
  /** An error not answering a request of yours (e.g. a relay to a peer that is gone). */
  error: [SignalingError];
  close: [{ code: number; reason: string }];
}

interface Pending {
  expect: 'room_created' | 'room_joined' | 'pong';
  resolve(frame: Record<string, unknown>): void;
  reject(err: Error): void;
}

const OPEN = 1;
/** Errors that answer a relay (sent without waiting), never a request. */
const RELAY_ERRORS = new Set(['unknown_peer', 'rate_limited']);

/**
 * The WebSocket signaling client of seed 004: connect with an API key (or a JWT), get a
 * `clientId`, create or join rooms, and exchange offers, answers and ICE candidates with
 * the peers of your rooms. Requests are answered in order, so each waits for its reply.
 */
export class SignalingClient extends Emitter<SignalingEvents> {
  /** The id the server gave this connection: a positive integer, unique in the cluster. */
  clientId = 0;
  /** Rooms this client is in. */
  readonly rooms = new Set<number>();
  private readonly pending: Pending[] = [];

  private constructor(private readonly ws: WebSocketLike) {
    super();
  }

  /** Connects to `url` (`ws(s)://host/signaling`) and resolves on the server's `welcome`. */
  static connect(url: string, credentials: SignalingCredentials, options: { timeoutMs?: number } = {}): Promise<SignalingClient> {
    const target = new URL(url);
    if (credentials.apiKey !== undefined) target.searchParams.set('api_key', credentials.apiKey);
    else target.searchParams.set('token', credentials.token);
    const ws = runtime().createWebSocket(target.toString());
    const client = new SignalingClient(ws);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        ws.close();
        reject(new Error(`no welcome from ${url} within ${options.timeoutMs ?? 10000} ms`));
      }, options.timeoutMs ?? 10000);
      ws.onmessage = (ev) => {
        const frame = parse(ev.data);
        if (frame?.type === 'welcome' && isId(frame.client_id)) {
          clearTimeout(timer);
          client.clientId = frame.client_id;
          ws.onmessage = (e) => client.onFrame(e.data);
          resolve(client);
        } else if (frame?.type === 'error') {
          clearTimeout(timer);
          reject(new SignalingError(String(frame.code), String(frame.message)));
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
    const frame = await this.request({ type: 'create_room' }, 'room_created');
    return frame.room_id as number;
  }

  /** Joins an existing room; resolves with the ids of the peers already in it (on any replica). */
  async joinRoom(roomId: number): Promise<number[]> {
    const frame = await this.request({ type: 'join_room', room_id: roomId }, 'room_joined');
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
    await this.request({ type: 'ping' }, 'pong');
  }

  close(): void {
    this.ws.close(1000, 'client closed');
  }

  private request(frame: Record<string, unknown>, expect: Pending['expect']): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      this.pending.push({ expect, resolve, reject });
      try {
        this.write(frame);
      } catch (err) {
        this.pending.pop();
        reject(err as Error);
      }
    });
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
        this.settle(frame.type, { ...frame, peers });
        this.emit('joined', { roomId: frame.room_id, peers });
        return;
      }
      case 'pong':
        return this.settle('pong', frame);
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
        const err = new SignalingError(String(frame.code), String(frame.message));
        const waiting = RELAY_ERRORS.has(err.code) ? undefined : this.pending.shift();
        if (waiting) waiting.reject(err);
        else this.emit('error', err);
        return;
      }
    }
  }

  private settle(type: Pending['expect'], frame: Record<string, unknown>): void {
    const i = this.pending.findIndex((p) => p.expect === type);
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

function isId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}
