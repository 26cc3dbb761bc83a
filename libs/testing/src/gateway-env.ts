/** Presence heartbeat of a test gateway (`redisGatewayEnv`). */
export const TEST_HEARTBEAT_MS = 250;
/** How long a test gateway's presence outlives its last heartbeat (`WEBSOCKET_CONNECTION_TIMEOUT`). */
export const TEST_CONNECTION_TIMEOUT_MS = 1500;

/**
 * A gateway's environment on a test Redis, with a fast heartbeat so dead replicas expire in
 * 1.5 s; `extra` adds or overrides variables.
 */
export function redisGatewayEnv(redisUrl: string, secret: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    BUS: 'redis',
    REDIS_URL: redisUrl,
    JWT_SECRET: secret,
    WEBSOCKET_HEARTBEAT_INTERVAL: `${TEST_HEARTBEAT_MS}ms`,
    WEBSOCKET_CONNECTION_TIMEOUT: `${TEST_CONNECTION_TIMEOUT_MS}ms`,
    WEBSOCKET_CONNECT_BURST: '1000',
    ...extra,
  };
}
