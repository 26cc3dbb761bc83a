import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { AuthError, Authenticator, clientIp, cookieOriginAllowed, findApiKey, findToken, type Identity, requestScheme } from '@switchboard/auth';
import { CONFIG, type SwitchboardConfig } from '@switchboard/config';
import { GUEST_ID_PREFIX, roomAllowed } from '@switchboard/protocol';
import { CLUSTER_READINESS, type ClusterReadiness } from './cluster-readiness';
import { ConnectionSlots, type Slot } from './connection-slots';
import { DIALECT_TABLE, type Dialect } from './dialect';
import { matchRoute, type Route } from './routes';
import { KeyedRateLimiter } from './token-bucket';

/** An upgrade the gateway will accept. */
export interface Admission {
  ok: true;
  route: Route;
  identity: Identity;
  ip: string;
  /**
   * Gives back its places under the connection caps (replica, IP, user): the caller calls it
   * once the connection closes, or when the handshake ends without one. Later calls do nothing.
   */
  release(): void;
}

/** An upgrade refused with an HTTP answer, before any WebSocket exists. */
export interface Refusal {
  ok: false;
  status: 400 | 401 | 403 | 404 | 409 | 429 | 503;
  reason: string;
}

export type Verdict = Admission | Refusal;

/**
 * Decides every upgrade before it happens: path, drain state, bus state, origin, per-IP connect rate,
 * connection caps, credential (a guest's `?user_id=` may not be a registered user's), room
 * permission. Knows nothing of sockets.
 *
 * Caps: a handshake takes its place under the replica's and its IP's connection caps before
 * anything is awaited (the caps count handshakes under way with the open connections, so many
 * at once can never pass them while their API keys are looked up); an authenticated user's
 * place under WEBSOCKET_MAX_CONNECTIONS_PER_USER is counted in presence, cluster-wide, in one
 * atomic step once the credential is checked. Guests are not counted per user (their id is a
 * name they chose): the per-IP cap bounds them.
 *
 * Credentials: a JWT (header, `?token=`, `token` cookie) is checked in memory; an API key
 * (on routes that accept one) costs one credential-directory read, so that verdict comes
 * as a promise. A cookie is sent by the browser on its own, whichever site opened the
 * socket: it counts only from an allowed origin, and with `*` only from the server's own.
 */
@Injectable()
export class HandshakeService {
  private readonly connectLimiter: KeyedRateLimiter;
  private readonly anyOrigin: boolean;
  private readonly origins: Set<string>;
  private readonly guestRooms: string[] | undefined;
  private readonly slots: ConnectionSlots;
  private draining = false;

  constructor(
    @Inject(CONFIG) private readonly config: SwitchboardConfig,
    private readonly auth: Authenticator,
    @Inject(CLUSTER_READINESS) private readonly cluster: ClusterReadiness,
    @Inject(DIALECT_TABLE) private readonly dialects: readonly Dialect[],
  ) {
    this.connectLimiter = new KeyedRateLimiter(config.limits.connectRate, config.limits.connectBurst);
    this.anyOrigin = config.ws.allowedOrigins.includes('*');
    this.origins = new Set(config.ws.allowedOrigins.map((o) => o.toLowerCase()));
    const guestRooms = config.ws.guestRooms;
    this.guestRooms = guestRooms.length === 1 && guestRooms[0] === '*' ? undefined : guestRooms;
    this.slots = new ConnectionSlots(config.ws.maxConnections, config.ws.maxConnectionsPerIp);
  }

  /** From now on every upgrade is refused with 503 (SIGTERM drain). */
  startDraining(): void {
    this.draining = true;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** Forgets per-IP state of clients that went quiet; called by the heartbeat. */
  prune(): void {
    this.connectLimiter.prune();
  }

  /**
   * The verdict on a handshake; an admission holds places under the caps until its `release`.
   * Synchronous unless the credential or the caps need a store (an API key, a guest's chosen
   * id, the per-user cap): then a promise, the places already taken.
   */
  admit(req: IncomingMessage): Verdict | Promise<Verdict> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = matchRoute(this.dialects, url.pathname, url.searchParams);
    if (!route) return refuse(404, 'no WebSocket endpoint at this path');
    if ('bad' in route) return refuse(400, route.bad);
    if (!this.config.ws.enabled) return refuse(503, 'WebSocket is disabled on this server');
    if (this.draining) return refuse(503, 'server is shutting down; reconnect to another replica');
    if (!this.cluster.isReady()) return refuse(503, 'message bus unavailable on this replica; retry shortly');
    if (!this.auth.isReady()) return refuse(503, 'credentials not loaded on this replica yet; retry shortly');

    const origin = req.headers.origin;
    if (origin !== undefined && !this.anyOrigin && !this.origins.has(origin.toLowerCase())) {
      return refuse(403, 'origin not allowed');
    }

    const ip = clientIp(req, this.config.trustProxy);
    if (!this.connectLimiter.take(ip)) return refuse(429, 'too many connection attempts; slow down');
    // Before anything is awaited: handshakes in flight count as connections.
    const slot = this.slots.take(ip);
    if (slot === 'replica') return refuse(503, 'server is at its connection limit');
    if (slot === 'ip') return refuse(429, 'too many connections from this address; close one first');

    const verdict = this.identify(req, url, route, ip);
    return verdict instanceof Promise ? verdict.then((v) => this.hold(v, slot)) : this.hold(verdict, slot);
  }

  /** The credential and the room: an identity admitted (without places yet), or a refusal. */
  private identify(req: IncomingMessage, url: URL, route: Route, ip: string): Verdict | Promise<Verdict> {
    const apiKey = route.acceptsApiKey ? findApiKey(req.headers, url.searchParams) : undefined;
    if (apiKey !== undefined) {
      return this.auth.verifyApiKey(apiKey).then(
        (identity) => this.admitIdentity(route, identity, ip),
        (err: unknown) => (err instanceof AuthError ? refuse(401, err.message) : refuse(503, 'credential store unavailable; retry shortly')),
      );
    }

    const origin = req.headers.origin;
    const found = findToken(req.headers, url.searchParams);
    let identity: Identity;
    if (found !== undefined) {
      if (found.source === 'cookie' && !cookieOriginAllowed(this.config.ws.allowedOrigins, origin, req.headers.host, requestScheme(req, this.config.trustProxy))) {
        return refuse(403, 'a token cookie counts only from an allowed origin; send the token as ?token= or Authorization: Bearer');
      }
      try {
        identity = this.auth.verifyJwt(found.token);
      } catch (err) {
        return refuse(401, err instanceof AuthError ? err.message : 'invalid token');
      }
    } else if (route.authRequired || this.config.ws.requireAuth) {
      return refuse(401, 'authentication required: send a JWT as Authorization: Bearer, ?token= or a token cookie, or an API key as X-API-Key or ?api_key=');
    } else {
      identity = guest(url.searchParams.get('user_id'), this.guestRooms, this.config.ws.guestIdNamespace);
      // A guest's own name may be a registered user's id: one directory read decides (anonymous and `guest:` ids cannot be).
      if (identity.userId === url.searchParams.get('user_id')) return this.admitNamedGuest(route, identity, ip);
    }
    return this.admitIdentity(route, identity, ip);
  }

  /**
   * Keeps the slot of an admitted handshake (given back on a refusal), and counts an
   * authenticated user's connection against WEBSOCKET_MAX_CONNECTIONS_PER_USER cluster-wide.
   */
  private hold(verdict: Verdict, slot: Slot): Verdict | Promise<Verdict> {
    if (!verdict.ok) {
      slot.release();
      return verdict;
    }
    const cap = this.config.ws.maxConnectionsPerUser;
    const { identity } = verdict;
    if (cap === 0 || !identity.authenticated) return { ...verdict, release: () => slot.release() };
    const counted = randomBytes(9).toString('base64url');
    return this.cluster.countUserConnection(identity.userId, counted, cap).then(
      (ok): Verdict => {
        if (!ok) {
          slot.release();
          return refuse(429, `too many connections of this user (at most ${cap} across the cluster); close one first`);
        }
        let released = false;
        const release = () => {
          if (released) return;
          released = true;
          slot.release();
          this.cluster.uncountUserConnection(identity.userId, counted);
        };
        return { ...verdict, release };
      },
      () => {
        slot.release();
        return refuse(503, 'presence unavailable on this replica; retry shortly');
      },
    );
  }

  /** A guest that named itself with `?user_id=`: refused (409) when a registered user has that id. */
  private async admitNamedGuest(route: Route, identity: Identity, ip: string): Promise<Verdict> {
    let registered: boolean;
    try {
      registered = await this.auth.isRegistered(identity.userId);
    } catch {
      return refuse(503, 'credential store unavailable; retry shortly');
    }
    if (registered) {
      return refuse(409, `user_id "${identity.userId}" belongs to a registered user: authenticate as that user, or connect with another user_id`);
    }
    return this.admitIdentity(route, identity, ip);
  }

  private admitIdentity(route: Route, identity: Identity, ip: string): Verdict {
    if (route.room !== undefined && !roomAllowed(identity.rooms, route.room)) {
      return refuse(403, identity.authenticated ? `token does not allow room "${route.room}"` : `guests may not join room "${route.room}"; authenticate`);
    }
    // `hold` gives it its places under the caps.
    return { ok: true, route, identity, ip, release: NOTHING };
  }
}

/**
 * A guest: no credential. Seed 002's `?user_id=` names it (only here: never on a connection
 * with a token, never when auth is required; never a registered user's id); otherwise it is
 * anonymous. With WEBSOCKET_GUEST_ID_NAMESPACE its id is always `guest:<id>`. Every frame from
 * or about it says `guest: true`, and it may join only WEBSOCKET_GUEST_ROOMS.
 */
function guest(userId: string | null, rooms: string[] | undefined, namespace: boolean): Identity {
  const valid = userId !== null && /^[\w.@:-]{1,64}$/.test(userId);
  const name = valid ? userId : `anon-${randomBytes(6).toString('hex')}`;
  const id = namespace ? `${GUEST_ID_PREFIX}${name}` : name;
  return { userId: id, username: id, rooms, permissions: NO_PERMISSIONS, authenticated: false };
}

const NO_PERMISSIONS: readonly string[] = Object.freeze([]);

const NOTHING = (): void => undefined;

function refuse(status: Refusal['status'], reason: string): Refusal {
  return { ok: false, status, reason };
}
