import { createPrivateKey, randomBytes } from 'node:crypto';
import { ConfigError } from './config-error';
import { EnvReader } from './env-reader';

/** Switchboard's configuration: the only place that reads the environment. */
export interface SwitchboardConfig {
  port: number;
  host: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Take the client address from X-Forwarded-For (only behind a trusted proxy). */
  trustProxy: boolean;
  http: HttpConfig;
  ws: WebSocketConfig;
  limits: LimitsConfig;
  bus: BusConfig;
  auth: AuthConfig;
  api: ApiConfig;
}

/**
 * Both apps' HTTP servers: how long a request may take to arrive, and how many bodies one
 * client address may be sending at once. A WebSocket is a request only until its upgrade.
 */
export interface HttpConfig {
  /** HTTP_HEADERS_TIMEOUT: a request whose head has not fully arrived by then is cut off (408). */
  headersTimeoutMs: number;
  /** HTTP_REQUEST_TIMEOUT: a request whose head and body have not fully arrived by then is cut off. */
  requestTimeoutMs: number;
  /** HTTP_MAX_PENDING_BODIES_PER_IP: request bodies one client IP may be sending at once; past it, 429. 0: no cap. */
  maxPendingBodiesPerIp: number;
}

/** The REST app's settings. */
export interface ApiConfig {
  /** DATABASE_URL: a PostgreSQL server; unset → embedded PGlite in DATA_DIR. */
  databaseUrl?: string;
  /** DATA_DIR: where embedded PGlite keeps its files. */
  dataDir: string;
  /** JWT_EXPIRES_IN: lifetime of tokens from /auth/login. */
  tokenTtlMs: number;
  /** SERVICE_USERS: usernames whose credentials carry the `broadcast` permission (server-side publish). */
  serviceUsers: string[];
  /** STATS_REQUIRE_AUTH: `/api/v1/ws/stats` needs a credential and shows only rooms it may see. */
  statsRequireAuth: boolean;
  /** Attempts allowed on /auth/login, /auth/register, /auth/newpassword, /auth/regenerate. */
  authRateLimit: AuthRateLimitConfig;
}

/** Abuse limits on the auth endpoints: past either, 429 with Retry-After until the window ends. */
export interface AuthRateLimitConfig {
  /** AUTH_RATE_LIMIT_PER_IP: attempts per endpoint per client IP per window. */
  perIp: number;
  /** AUTH_RATE_LIMIT_PER_USERNAME: attempts per endpoint per username (any IP) per window; on /auth/login, failed attempts only. */
  perUsername: number;
  /** AUTH_RATE_WINDOW. */
  windowMs: number;
}

/** Seed 001's twelve variables, in milliseconds and bytes. */
export interface WebSocketConfig {
  /** WEBSOCKET_ENABLED: when false every upgrade is answered 503. */
  enabled: boolean;
  /** WEBSOCKET_MAX_CONNECTIONS: open connections (and handshakes under way) per replica; past it, 503. */
  maxConnections: number;
  /** WEBSOCKET_MAX_CONNECTIONS_PER_IP: open connections (and handshakes under way) per client IP on a replica; 0: no cap. Past it, 429. */
  maxConnectionsPerIp: number;
  /** WEBSOCKET_MAX_CONNECTIONS_PER_USER: open connections per authenticated user across the cluster (presence); 0: no cap. Past it, 429. */
  maxConnectionsPerUser: number;
  /** WEBSOCKET_READ_BUFFER_SIZE: the sockets' read high-water mark in bytes. */
  readBufferSize: number;
  /** WEBSOCKET_WRITE_BUFFER_SIZE: the unit of the slow-consumer bound (a connection may hold SEND_QUEUE_BUFFERS of them unsent). */
  writeBufferSize: number;
  /** WEBSOCKET_MAX_MESSAGE_SIZE: the largest frame a client may send; larger closes with 1009. */
  maxMessageSize: number;
  /** WEBSOCKET_WRITE_WAIT: unsent data older than this closes the connection with 1013. */
  writeWaitMs: number;
  /** WEBSOCKET_PONG_WAIT: a connection silent (no pong, no frame) this long is terminated. */
  pongWaitMs: number;
  /** WEBSOCKET_PING_PERIOD: how often the server pings; must be below the pong wait. */
  pingPeriodMs: number;
  /** WEBSOCKET_ALLOWED_ORIGINS: `*` or a list; a browser Origin outside it gets 403. */
  allowedOrigins: string[];
  /** WEBSOCKET_REQUIRE_AUTH: when true `/ws` and `/ws/{room}` need a token too. */
  requireAuth: boolean;
  /** WEBSOCKET_GUEST_ROOMS: room names or `*` patterns a guest (no credential) may join. */
  guestRooms: string[];
  /**
   * WEBSOCKET_GUEST_ID_NAMESPACE: every guest id is `guest:<id>` (a guest's `?user_id=x` makes it
   * `guest:x`), and only `guest:` ids reach guests. For tokens of an outside identity provider,
   * whose subjects the api never registered: a guest can then never take a user's id.
   */
  guestIdNamespace: boolean;
  /** WEBSOCKET_HANDSHAKE_TIMEOUT: a connection that has not sent a complete request head by then is cut off. */
  handshakeTimeoutMs: number;
  /** WEBSOCKET_HEARTBEAT_INTERVAL: how often a replica refreshes its presence entries. */
  heartbeatIntervalMs: number;
  /** WEBSOCKET_CONNECTION_TIMEOUT: presence entries not refreshed this long expire (a dead replica's members leave). */
  connectionTimeoutMs: number;
  /** Unsent bytes a connection may hold: WRITE_BUFFER_SIZE × SEND_QUEUE_BUFFERS. */
  maxPendingBytes: number;
  /** WEBSOCKET_DRAIN_TIMEOUT: on SIGTERM, the window over which clients are closed with 1012. */
  drainTimeoutMs: number;
  /** WEBSOCKET_MAX_QUEUED_BYTES: unsent bytes queued across the replica before it stops reading from clients. */
  maxQueuedBytes: number;
  /** WEBSOCKET_SIGNALING_MAX_MESSAGE_SIZE: the largest frame on `/signaling` (SDP is several KB); larger closes with 1009. */
  signalingMaxMessageSize: number;
  /** WEBSOCKET_WRITE_DELAY: how long frames for a socket may collect before they are written (0: end of the turn). */
  writeDelayMs: number;
  /** WEBSOCKET_PRESENCE_NOTICE_DELAY: how long join/leave notices for a socket may wait to leave with the next ones (0: as any frame). */
  noticeDelayMs: number;
  /**
   * WEBSOCKET_SIGNALING_RESUME_WINDOW: how long a signaling peer that lost its connection (or
   * its replica) keeps its id and rooms for a resume before the others get `peer_left`; 0: no resume.
   */
  signalingResumeWindowMs: number;
  /**
   * WEBSOCKET_PUBLISH_DEDUP_WINDOW: how long a chat frame's `id` is remembered per user and
   * room; a repeat within it is acknowledged with the first offset and not published again.
   */
  publishDedupWindowMs: number;
}

export interface LimitsConfig {
  /** WEBSOCKET_MAX_ROOM_MEMBERS: members per room across the cluster; past it, "room full". */
  maxRoomMembers: number;
  /** WEBSOCKET_MAX_ROOMS_PER_CONNECTION. */
  maxRoomsPerConnection: number;
  /** WEBSOCKET_MESSAGE_RATE: frames per second per connection (token bucket refill). */
  messageRate: number;
  /** WEBSOCKET_MESSAGE_BURST: token bucket size. */
  messageBurst: number;
  /** WEBSOCKET_RATE_LIMIT_STRIKES: consecutive dropped frames before close 1008. */
  rateLimitStrikes: number;
  /** WEBSOCKET_CONNECT_RATE: new connections per second per client IP. */
  connectRate: number;
  /** WEBSOCKET_CONNECT_BURST. */
  connectBurst: number;
  /** WEBSOCKET_SIGNALING_MAX_PEERS: peers per signaling room across the cluster; past it, "room full". */
  signalingMaxPeers: number;
  /** WEBSOCKET_PRESENCE_EVENTS_MAX_MEMBERS: above this many members a room gets no join/leave notices and `user_list` is capped. */
  presenceEventsMaxMembers: number;
  /** What costly frames take from the message rate limit (a plain frame takes 1). */
  frameCosts: FrameCosts;
  /** WEBSOCKET_REPLY_RATE: bytes per second of replies a connection's own requests may make the server send (join confirmations, replays, `user_list`, errors); 0: no cap. */
  replyRate: number;
  /** WEBSOCKET_REPLY_BURST: bytes of replies a connection may have sent before the rate applies. */
  replyBurst: number;
  /** WEBSOCKET_USER_LIST_CACHE: how long a `user_list` read from presence (a room this replica has no member in) is reused, in ms; 0: every request reads. */
  userListCacheMs: number;
}

/** Rate-limit tokens a frame takes, by what it costs the server. */
export interface FrameCosts {
  /** WEBSOCKET_JOIN_COST: a join without `since`. */
  join: number;
  /** WEBSOCKET_RESUME_COST: a join with `since` (a history read and a replay). */
  resume: number;
  /** WEBSOCKET_USER_LIST_COST: a `user_list` request. */
  userList: number;
}

export interface BusConfig {
  kind: 'memory' | 'redis';
  redisUrl: string;
  /** REDIS_CLUSTER_NODES: host:port list; when set, sharded pub/sub on a Redis Cluster. */
  clusterNodes: string[];
  /** REDIS_AUTO_PIPELINING: the bus's publishing connection and presence send the commands of one event-loop turn in one write. */
  autoPipelining: boolean;
  /** WEBSOCKET_HISTORY_SIZE: publications kept per room for resume; 0 turns history off. */
  historySize: number;
  /** WEBSOCKET_HISTORY_TTL: how long a room's history lives after its last publication, in ms. */
  historyTtlMs: number;
  /** WEBSOCKET_HISTORY_PUBLIC: true lets any joiner replay the history (`since` without a resume token); false (default): only what that client missed. */
  historyPublic: boolean;
}

export interface AuthConfig {
  /** HS256 secret; generated per start when neither it nor a public key is set (standalone only). */
  jwtSecret?: string;
  /** PEM public key for RS256/ES256 tokens. */
  jwtPublicKey?: string;
  /** True when the secret was generated: no external token can be valid. */
  ephemeralSecret: boolean;
  /** PEM private key the api signs RS256/ES256 tokens with (pairs with JWT_PUBLIC_KEY). */
  jwtPrivateKey?: string;
  /** The algorithm the private key signs with, from its type: ES256 (EC P-256) or RS256 (RSA). */
  jwtSigningAlgorithm?: 'ES256' | 'RS256';
  /** JWT_AUDIENCE: when set, a token's `aud` must name it (and the api's tokens carry it). */
  jwtAudience?: string;
  /** JWT_ISSUER: when set, a token's `iss` must be it (and the api's tokens carry it). */
  jwtIssuer?: string;
  /** JWT_CLOCK_SKEW: how far in the future a token's `iat` may be (clocks differ a little); later is refused. */
  jwtClockSkewMs: number;
}

/** Unsent-data bound, in write buffers: like a 1024-slot send queue of WRITE_BUFFER_SIZE each. */
export const SEND_QUEUE_BUFFERS = 1024;

/** Reads and validates the configuration; throws ConfigError naming the first bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): SwitchboardConfig {
  const r = new EnvReader(env);
  const writeBufferSize = r.int('WEBSOCKET_WRITE_BUFFER_SIZE', 1024, 128, 16 * 1024 * 1024);
  const ws: WebSocketConfig = {
    enabled: r.bool('WEBSOCKET_ENABLED', true),
    maxConnections: r.int('WEBSOCKET_MAX_CONNECTIONS', 10000, 1),
    maxConnectionsPerIp: r.int('WEBSOCKET_MAX_CONNECTIONS_PER_IP', 0, 0),
    maxConnectionsPerUser: r.int('WEBSOCKET_MAX_CONNECTIONS_PER_USER', 0, 0),
    readBufferSize: r.int('WEBSOCKET_READ_BUFFER_SIZE', 1024, 128, 16 * 1024 * 1024),
    writeBufferSize,
    maxMessageSize: r.int('WEBSOCKET_MAX_MESSAGE_SIZE', 512, 16, 64 * 1024 * 1024),
    writeWaitMs: r.duration('WEBSOCKET_WRITE_WAIT', '10s'),
    pongWaitMs: r.duration('WEBSOCKET_PONG_WAIT', '60s'),
    pingPeriodMs: r.duration('WEBSOCKET_PING_PERIOD', '54s'),
    allowedOrigins: r.list('WEBSOCKET_ALLOWED_ORIGINS', ['*']),
    requireAuth: r.bool('WEBSOCKET_REQUIRE_AUTH', false),
    guestRooms: r.list('WEBSOCKET_GUEST_ROOMS', ['*']),
    guestIdNamespace: r.bool('WEBSOCKET_GUEST_ID_NAMESPACE', false),
    handshakeTimeoutMs: r.duration('WEBSOCKET_HANDSHAKE_TIMEOUT', '10s', 100),
    // A few seconds: a dead replica's peers and members must leave soon (a refresh is one O(1) script).
    heartbeatIntervalMs: r.duration('WEBSOCKET_HEARTBEAT_INTERVAL', '2s'),
    connectionTimeoutMs: r.duration('WEBSOCKET_CONNECTION_TIMEOUT', '6s'),
    maxPendingBytes: writeBufferSize * SEND_QUEUE_BUFFERS,
    drainTimeoutMs: r.duration('WEBSOCKET_DRAIN_TIMEOUT', '10s', 0),
    maxQueuedBytes: r.int('WEBSOCKET_MAX_QUEUED_BYTES', 32 * 1024 * 1024, 64 * 1024),
    signalingMaxMessageSize: r.int('WEBSOCKET_SIGNALING_MAX_MESSAGE_SIZE', 64 * 1024, 256, 64 * 1024 * 1024),
    writeDelayMs: r.duration('WEBSOCKET_WRITE_DELAY', '0s', 0),
    noticeDelayMs: r.duration('WEBSOCKET_PRESENCE_NOTICE_DELAY', '50ms', 0),
    signalingResumeWindowMs: r.duration('WEBSOCKET_SIGNALING_RESUME_WINDOW', '30s', 0),
    publishDedupWindowMs: r.duration('WEBSOCKET_PUBLISH_DEDUP_WINDOW', '120s', 1000),
  };
  if (ws.publishDedupWindowMs > 24 * 3600_000) {
    throw new ConfigError('WEBSOCKET_PUBLISH_DEDUP_WINDOW', `must be at most 24h (each id is kept in Redis that long), got ${ws.publishDedupWindowMs}ms`);
  }
  if (ws.signalingResumeWindowMs > 10 * 60_000) {
    throw new ConfigError('WEBSOCKET_SIGNALING_RESUME_WINDOW', `must be at most 10m (a peer's rooms wait that long for it), got ${ws.signalingResumeWindowMs}ms`);
  }
  if (ws.writeDelayMs > 1000) {
    throw new ConfigError('WEBSOCKET_WRITE_DELAY', `must be at most 1s (a few ms is typical), got ${ws.writeDelayMs}ms`);
  }
  if (ws.noticeDelayMs > 1000) {
    throw new ConfigError('WEBSOCKET_PRESENCE_NOTICE_DELAY', `must be at most 1s (members learn of joins that much later), got ${ws.noticeDelayMs}ms`);
  }
  if (ws.pingPeriodMs >= ws.pongWaitMs) {
    throw new ConfigError('WEBSOCKET_PING_PERIOD', `must be shorter than WEBSOCKET_PONG_WAIT (${ws.pingPeriodMs}ms ≥ ${ws.pongWaitMs}ms)`);
  }
  if (ws.heartbeatIntervalMs >= ws.connectionTimeoutMs) {
    throw new ConfigError(
      'WEBSOCKET_HEARTBEAT_INTERVAL',
      `must be shorter than WEBSOCKET_CONNECTION_TIMEOUT (${ws.heartbeatIntervalMs}ms ≥ ${ws.connectionTimeoutMs}ms)`,
    );
  }
  for (const origin of ws.allowedOrigins) {
    if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) {
      throw new ConfigError('WEBSOCKET_ALLOWED_ORIGINS', `must be * or a comma-separated list of origins like https://app.example.com, got "${origin}"`);
    }
  }

  for (const pattern of ws.guestRooms) {
    if (!/^[A-Za-z0-9_.:@#*-]{1,128}$/.test(pattern)) {
      throw new ConfigError('WEBSOCKET_GUEST_ROOMS', `must be a comma-separated list of room names or * patterns, got "${pattern}"`);
    }
  }

  const limits: LimitsConfig = {
    maxRoomMembers: r.int('WEBSOCKET_MAX_ROOM_MEMBERS', 10000, 1),
    maxRoomsPerConnection: r.int('WEBSOCKET_MAX_ROOMS_PER_CONNECTION', 100, 1),
    messageRate: r.number('WEBSOCKET_MESSAGE_RATE', 50, 0.001),
    messageBurst: r.int('WEBSOCKET_MESSAGE_BURST', 100, 1),
    rateLimitStrikes: r.int('WEBSOCKET_RATE_LIMIT_STRIKES', 20, 1),
    connectRate: r.number('WEBSOCKET_CONNECT_RATE', 20, 0.001),
    connectBurst: r.int('WEBSOCKET_CONNECT_BURST', 100, 1),
    signalingMaxPeers: r.int('WEBSOCKET_SIGNALING_MAX_PEERS', 16, 2),
    presenceEventsMaxMembers: r.int('WEBSOCKET_PRESENCE_EVENTS_MAX_MEMBERS', 1000, 1),
    frameCosts: {
      join: r.int('WEBSOCKET_JOIN_COST', 2, 1),
      resume: r.int('WEBSOCKET_RESUME_COST', 4, 1),
      userList: r.int('WEBSOCKET_USER_LIST_COST', 4, 1),
    },
    replyRate: r.int('WEBSOCKET_REPLY_RATE', 64 * 1024, 0),
    replyBurst: r.int('WEBSOCKET_REPLY_BURST', 512 * 1024, 1024),
    userListCacheMs: r.duration('WEBSOCKET_USER_LIST_CACHE', '1s', 0),
  };
  for (const [variable, cost] of [
    ['WEBSOCKET_JOIN_COST', limits.frameCosts.join],
    ['WEBSOCKET_RESUME_COST', limits.frameCosts.resume],
    ['WEBSOCKET_USER_LIST_COST', limits.frameCosts.userList],
  ] as const) {
    if (cost > limits.messageBurst) throw new ConfigError(variable, `must be at most WEBSOCKET_MESSAGE_BURST (${limits.messageBurst}), or such a frame could never pass; got ${cost}`);
  }

  const bus: BusConfig = {
    kind: r.oneOf('BUS', 'memory', ['memory', 'redis'] as const),
    redisUrl: r.string('REDIS_URL', 'redis://127.0.0.1:6379'),
    clusterNodes: r.list('REDIS_CLUSTER_NODES', []),
    autoPipelining: r.bool('REDIS_AUTO_PIPELINING', true),
    historySize: r.int('WEBSOCKET_HISTORY_SIZE', 100, 0, 1_000_000),
    historyTtlMs: r.duration('WEBSOCKET_HISTORY_TTL', '300s', 1000),
    historyPublic: r.bool('WEBSOCKET_HISTORY_PUBLIC', false),
  };
  if (!/^rediss?:\/\//.test(bus.redisUrl)) {
    throw new ConfigError('REDIS_URL', 'must start with redis:// or rediss://');
  }
  for (const node of bus.clusterNodes) {
    if (!/^[^:\s]+:\d+$/.test(node)) throw new ConfigError('REDIS_CLUSTER_NODES', `must be host:port entries, got "${node}"`);
  }

  const jwtSecret = r.optional('JWT_SECRET');
  const jwtPublicKey = r.optional('JWT_PUBLIC_KEY')?.replace(/\\n/g, '\n');
  if (jwtSecret !== undefined && jwtSecret.length < 16) {
    throw new ConfigError('JWT_SECRET', 'must be at least 16 characters');
  }
  if (jwtPublicKey !== undefined && !jwtPublicKey.includes('-----BEGIN')) {
    throw new ConfigError('JWT_PUBLIC_KEY', 'must be a PEM public key (-----BEGIN PUBLIC KEY-----)');
  }
  if (bus.kind === 'redis' && jwtSecret === undefined && jwtPublicKey === undefined) {
    throw new ConfigError('JWT_SECRET', 'must be set (or JWT_PUBLIC_KEY) when BUS=redis: every replica must verify the same tokens');
  }
  const ephemeralSecret = jwtSecret === undefined && jwtPublicKey === undefined;
  const jwtPrivateKey = r.optional('JWT_PRIVATE_KEY')?.replace(/\\n/g, '\n');
  const jwtSigningAlgorithm = jwtPrivateKey === undefined ? undefined : signingAlgorithm(jwtPrivateKey);
  const auth: AuthConfig = {
    jwtSecret: ephemeralSecret ? randomBytes(32).toString('base64url') : jwtSecret,
    jwtPublicKey,
    ephemeralSecret,
    jwtPrivateKey,
    jwtSigningAlgorithm,
    jwtAudience: r.optional('JWT_AUDIENCE'),
    jwtIssuer: r.optional('JWT_ISSUER'),
    // At least 1s: the api's tokens right after a password change carry the next second as iat.
    jwtClockSkewMs: r.duration('JWT_CLOCK_SKEW', '30s', 1000),
  };
  if (auth.jwtClockSkewMs > 600_000) throw new ConfigError('JWT_CLOCK_SKEW', `must be at most 10m, got ${auth.jwtClockSkewMs}ms`);

  const databaseUrl = r.optional('DATABASE_URL');
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL', 'must be a postgres:// or postgresql:// URL');
  }
  const api: ApiConfig = {
    databaseUrl,
    dataDir: r.string('DATA_DIR', '.data/pglite'),
    tokenTtlMs: r.duration('JWT_EXPIRES_IN', '1h', 1000),
    serviceUsers: r.list('SERVICE_USERS', []),
    authRateLimit: {
      perIp: r.int('AUTH_RATE_LIMIT_PER_IP', 20, 1),
      perUsername: r.int('AUTH_RATE_LIMIT_PER_USERNAME', 5, 1),
      windowMs: r.duration('AUTH_RATE_WINDOW', '1m', 1000),
    },
    statsRequireAuth: r.bool('STATS_REQUIRE_AUTH', false),
  };

  const http: HttpConfig = {
    headersTimeoutMs: r.duration('HTTP_HEADERS_TIMEOUT', '10s', 100),
    requestTimeoutMs: r.duration('HTTP_REQUEST_TIMEOUT', '30s', 100),
    maxPendingBodiesPerIp: r.int('HTTP_MAX_PENDING_BODIES_PER_IP', 32, 0),
  };
  if (http.headersTimeoutMs > http.requestTimeoutMs) {
    throw new ConfigError('HTTP_HEADERS_TIMEOUT', `must not be longer than HTTP_REQUEST_TIMEOUT (${http.headersTimeoutMs}ms > ${http.requestTimeoutMs}ms)`);
  }

  return {
    port: r.int('PORT', 8080, 0, 65535),
    host: r.string('HOST', '0.0.0.0'),
    logLevel: r.oneOf('LOG_LEVEL', 'info', ['debug', 'info', 'warn', 'error'] as const),
    trustProxy: r.bool('TRUST_PROXY', false),
    http,
    ws,
    limits,
    bus,
    auth,
    api,
  };
}

/** ES256 for an EC P-256 key (PKCS#8 or SEC1 PEM), RS256 for RSA (PKCS#8 or PKCS#1): from the key, not the PEM's label. */
function signingAlgorithm(pem: string): 'ES256' | 'RS256' {
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    throw new ConfigError('JWT_PRIVATE_KEY', `must be a PEM private key (${(err as Error).message})`);
  }
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  const kind = key.asymmetricKeyType === 'ec' ? `an EC key on ${key.asymmetricKeyDetails?.namedCurve}` : `a ${key.asymmetricKeyType} key`;
  throw new ConfigError('JWT_PRIVATE_KEY', `must be an RSA key (RS256) or an EC P-256 key (ES256), got ${kind}`);
}
