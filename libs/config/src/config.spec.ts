import { ConfigError, loadConfig } from './index';
import { parseDuration } from './duration';

describe('parseDuration', () => {
  it.each([
    ['54s', 54_000],
    ['10s', 10_000],
    ['500ms', 500],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['1.5s', 1500],
    ['30', 30_000],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 's', '10x', '10 s', '-5s', 'ten seconds', '5s5'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('loadConfig', () => {
  it('uses seed 001 defaults when nothing is set', () => {
    const c = loadConfig({});
    expect(c.port).toBe(8080);
    expect(c.ws).toMatchObject({
      enabled: true,
      readBufferSize: 1024,
      writeBufferSize: 1024,
      maxMessageSize: 512,
      writeWaitMs: 10_000,
      pongWaitMs: 60_000,
      pingPeriodMs: 54_000,
      allowedOrigins: ['*'],
      requireAuth: false,
      heartbeatIntervalMs: 2_000,
      connectionTimeoutMs: 6_000,
      signalingResumeWindowMs: 30_000,
      maxPendingBytes: 1024 * 1024,
    });
    expect(c.bus).toMatchObject({ kind: 'memory', historySize: 100, historyTtlMs: 300_000 });
    expect(c.auth.ephemeralSecret).toBe(true);
    expect(c.auth.jwtSecret).toHaveLength(43);
  });

  it('honours all twelve of seed 001\'s variables', () => {
    const c = loadConfig({
      WEBSOCKET_ENABLED: 'false',
      WEBSOCKET_MAX_CONNECTIONS: '1000',
      WEBSOCKET_READ_BUFFER_SIZE: '2048',
      WEBSOCKET_WRITE_BUFFER_SIZE: '4096',
      WEBSOCKET_MAX_MESSAGE_SIZE: '8192',
      WEBSOCKET_WRITE_WAIT: '5s',
      WEBSOCKET_PONG_WAIT: '30s',
      WEBSOCKET_PING_PERIOD: '27s',
      WEBSOCKET_ALLOWED_ORIGINS: 'https://a.example.com, https://b.example.com',
      WEBSOCKET_REQUIRE_AUTH: 'true',
      WEBSOCKET_HEARTBEAT_INTERVAL: '10s',
      WEBSOCKET_CONNECTION_TIMEOUT: '25s',
    });
    expect(c.ws).toEqual({
      enabled: false,
      maxConnections: 1000,
      readBufferSize: 2048,
      writeBufferSize: 4096,
      maxMessageSize: 8192,
      writeWaitMs: 5000,
      pongWaitMs: 30_000,
      pingPeriodMs: 27_000,
      allowedOrigins: ['https://a.example.com', 'https://b.example.com'],
      requireAuth: true,
      guestRooms: ['*'],
      guestIdNamespace: false,
      maxConnectionsPerIp: 0,
      maxConnectionsPerUser: 0,
      handshakeTimeoutMs: 10_000,
      heartbeatIntervalMs: 10_000,
      connectionTimeoutMs: 25_000,
      maxPendingBytes: 4096 * 1024,
      drainTimeoutMs: 10_000,
      maxQueuedBytes: 32 * 1024 * 1024,
      signalingMaxMessageSize: 64 * 1024,
      signalingResumeWindowMs: 30_000,
      publishDedupWindowMs: 120_000,
      writeDelayMs: 0,
      noticeDelayMs: 50,
    });
  });

  it.each([
    ['WEBSOCKET_PONG_WAIT', 'soon'],
    ['WEBSOCKET_PING_PERIOD', '90s'],
    ['WEBSOCKET_MAX_CONNECTIONS', '-1'],
    ['WEBSOCKET_MAX_CONNECTIONS', '12abc'],
    ['WEBSOCKET_ENABLED', 'maybe'],
    ['WEBSOCKET_MAX_MESSAGE_SIZE', '0'],
    ['WEBSOCKET_ALLOWED_ORIGINS', 'not an origin'],
    ['WEBSOCKET_HEARTBEAT_INTERVAL', '2m'],
    ['WEBSOCKET_SIGNALING_RESUME_WINDOW', '1h'],
    ['WEBSOCKET_SIGNALING_RESUME_WINDOW', 'soon'],
    ['WEBSOCKET_PRESENCE_NOTICE_DELAY', '2s'],
    ['WEBSOCKET_PUBLISH_DEDUP_WINDOW', 'a while'],
    ['WEBSOCKET_PUBLISH_DEDUP_WINDOW', '500ms'],
    ['WEBSOCKET_PUBLISH_DEDUP_WINDOW', '25h'],
    ['PORT', '70000'],
    ['BUS', 'kafka'],
    ['REDIS_URL', 'http://localhost'],
    ['JWT_SECRET', 'short'],
    ['JWT_PUBLIC_KEY', 'not-a-pem'],
    ['WEBSOCKET_MESSAGE_RATE', 'fast'],
    ['WEBSOCKET_HISTORY_SIZE', '-5'],
    ['WEBSOCKET_HISTORY_SIZE', 'lots'],
    ['WEBSOCKET_HISTORY_TTL', 'forever'],
    ['WEBSOCKET_HISTORY_TTL', '10ms'],
    ['WEBSOCKET_HISTORY_PUBLIC', 'sometimes'],
    ['WEBSOCKET_SIGNALING_MAX_MESSAGE_SIZE', '64k'],
    ['WEBSOCKET_SIGNALING_MAX_PEERS', '1'],
    ['WEBSOCKET_WRITE_DELAY', '5 ms'],
    ['WEBSOCKET_WRITE_DELAY', '2s'],
    ['WEBSOCKET_PRESENCE_EVENTS_MAX_MEMBERS', '0'],
    ['AUTH_RATE_LIMIT_PER_IP', '0'],
    ['AUTH_RATE_LIMIT_PER_USERNAME', 'many'],
    ['AUTH_RATE_WINDOW', 'a while'],
    ['WEBSOCKET_GUEST_ROOMS', 'lobby, bad room'],
    ['WEBSOCKET_HANDSHAKE_TIMEOUT', '10ms'],
    ['STATS_REQUIRE_AUTH', 'maybe'],
  ])('stops on a bad %s, naming it', (variable, value) => {
    let error: unknown;
    try {
      loadConfig({ [variable]: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
    expect((error as Error).message).toContain(variable);
  });

  it('reads the history window, and lets size 0 turn history off', () => {
    expect(loadConfig({ WEBSOCKET_HISTORY_SIZE: '0', WEBSOCKET_HISTORY_TTL: '2m' }).bus).toMatchObject({ historySize: 0, historyTtlMs: 120_000 });
  });

  it('keeps the history for whom it belongs to unless WEBSOCKET_HISTORY_PUBLIC=true', () => {
    expect(loadConfig({}).bus.historyPublic).toBe(false);
    expect(loadConfig({ WEBSOCKET_HISTORY_PUBLIC: 'true' }).bus.historyPublic).toBe(true);
  });

  it('pipelines Redis commands unless REDIS_AUTO_PIPELINING is false, and names a bad value', () => {
    expect(loadConfig({}).bus.autoPipelining).toBe(true);
    expect(loadConfig({ REDIS_AUTO_PIPELINING: 'false' }).bus.autoPipelining).toBe(false);
    expect(() => loadConfig({ REDIS_AUTO_PIPELINING: 'sometimes' })).toThrow(/REDIS_AUTO_PIPELINING/);
  });

  it('gives signaling its own frame size limit and peer cap', () => {
    const c = loadConfig({});
    expect(c.ws.signalingMaxMessageSize).toBe(65536);
    expect(c.ws.maxMessageSize).toBe(512);
    expect(c.limits.signalingMaxPeers).toBe(16);
    const set = loadConfig({ WEBSOCKET_SIGNALING_MAX_MESSAGE_SIZE: '131072', WEBSOCKET_SIGNALING_MAX_PEERS: '4' });
    expect([set.ws.signalingMaxMessageSize, set.limits.signalingMaxPeers]).toEqual([131072, 4]);
  });

  it('reads the write delay and the presence-events threshold', () => {
    const defaults = loadConfig({});
    expect(defaults.ws.writeDelayMs).toBe(0);
    expect(defaults.limits.presenceEventsMaxMembers).toBe(1000);
    const set = loadConfig({ WEBSOCKET_WRITE_DELAY: '5ms', WEBSOCKET_PRESENCE_EVENTS_MAX_MEMBERS: '50' });
    expect(set.ws.writeDelayMs).toBe(5);
    expect(set.limits.presenceEventsMaxMembers).toBe(50);
  });

  it('reads the auth rate limits', () => {
    expect(loadConfig({}).api.authRateLimit).toEqual({ perIp: 20, perUsername: 5, windowMs: 60_000 });
    expect(loadConfig({ AUTH_RATE_LIMIT_PER_IP: '50', AUTH_RATE_LIMIT_PER_USERNAME: '3', AUTH_RATE_WINDOW: '5m' }).api.authRateLimit).toEqual({
      perIp: 50,
      perUsername: 3,
      windowMs: 300_000,
    });
  });

  it('reads the guest rooms, the handshake timeout and whether stats need a credential', () => {
    const c = loadConfig({ WEBSOCKET_GUEST_ROOMS: 'lobby, public-*', WEBSOCKET_HANDSHAKE_TIMEOUT: '2s', STATS_REQUIRE_AUTH: 'true' });
    expect(c.ws.guestRooms).toEqual(['lobby', 'public-*']);
    expect(c.ws.handshakeTimeoutMs).toBe(2000);
    expect(c.api.statsRequireAuth).toBe(true);
    expect(loadConfig({}).api.statsRequireAuth).toBe(false);
  });

  it('caps connections per IP and per user only when asked, and names a bad value', () => {
    expect(loadConfig({ WEBSOCKET_MAX_CONNECTIONS_PER_IP: '20', WEBSOCKET_MAX_CONNECTIONS_PER_USER: '5' }).ws).toMatchObject({ maxConnectionsPerIp: 20, maxConnectionsPerUser: 5 });
    expect(() => loadConfig({ WEBSOCKET_MAX_CONNECTIONS_PER_IP: '-1' })).toThrow(/WEBSOCKET_MAX_CONNECTIONS_PER_IP/);
    expect(() => loadConfig({ WEBSOCKET_MAX_CONNECTIONS_PER_USER: 'many' })).toThrow(/WEBSOCKET_MAX_CONNECTIONS_PER_USER/);
  });

  it('keeps guest ids in their own namespace only when asked, and names the variable when it is not a boolean', () => {
    expect(loadConfig({}).ws.guestIdNamespace).toBe(false);
    expect(loadConfig({ WEBSOCKET_GUEST_ID_NAMESPACE: 'true' }).ws.guestIdNamespace).toBe(true);
    expect(() => loadConfig({ WEBSOCKET_GUEST_ID_NAMESPACE: 'guest:' })).toThrow(/WEBSOCKET_GUEST_ID_NAMESPACE/);
  });

  it('reads the HTTP timeouts and the per-IP cap on bodies still arriving, with sane defaults', () => {
    expect(loadConfig({}).http).toEqual({ headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, maxPendingBodiesPerIp: 32 });
    expect(loadConfig({ HTTP_HEADERS_TIMEOUT: '2s', HTTP_REQUEST_TIMEOUT: '5s', HTTP_MAX_PENDING_BODIES_PER_IP: '0' }).http).toEqual({
      headersTimeoutMs: 2000,
      requestTimeoutMs: 5000,
      maxPendingBodiesPerIp: 0,
    });
    expect(() => loadConfig({ HTTP_HEADERS_TIMEOUT: '40s' })).toThrow(/HTTP_HEADERS_TIMEOUT must not be longer than HTTP_REQUEST_TIMEOUT/);
    expect(() => loadConfig({ HTTP_REQUEST_TIMEOUT: 'soon' })).toThrow(/HTTP_REQUEST_TIMEOUT/);
    expect(() => loadConfig({ HTTP_MAX_PENDING_BODIES_PER_IP: '-1' })).toThrow(/HTTP_MAX_PENDING_BODIES_PER_IP/);
  });

  it('reads the optional JWT audience and issuer, and the clock skew allowed for iat', () => {
    expect(loadConfig({}).auth).toMatchObject({ jwtAudience: undefined, jwtIssuer: undefined, jwtClockSkewMs: 30_000 });
    expect(loadConfig({ JWT_AUDIENCE: 'switchboard', JWT_ISSUER: 'https://id.example.com', JWT_CLOCK_SKEW: '5s' }).auth).toMatchObject({
      jwtAudience: 'switchboard',
      jwtIssuer: 'https://id.example.com',
      jwtClockSkewMs: 5000,
    });
    expect(() => loadConfig({ JWT_CLOCK_SKEW: '1h' })).toThrow(/JWT_CLOCK_SKEW must be at most 10m/);
  });

  it('requires a shared JWT secret or key in cluster mode', () => {
    expect(() => loadConfig({ BUS: 'redis' })).toThrow(/JWT_SECRET must be set/);
    expect(loadConfig({ BUS: 'redis', JWT_SECRET: 'x'.repeat(32) }).auth.ephemeralSecret).toBe(false);
  });
});
