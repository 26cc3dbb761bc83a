const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it holds; fails after `ms`, with `detail()` saying what was last seen. */
export async function until(what: string, ms: number, check: () => Promise<boolean>, detail: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} ${detail()}`);
    await sleep(50);
  }
}

/** A gateway's environment on a test Redis, with a fast heartbeat so dead replicas expire in 1.5 s. */
export function redisGatewayEnv(redisUrl: string, secret: string): Record<string, string> {
  return {
    BUS: 'redis',
    REDIS_URL: redisUrl,
    JWT_SECRET: secret,
    WEBSOCKET_HEARTBEAT_INTERVAL: '250ms',
    WEBSOCKET_CONNECTION_TIMEOUT: '1500ms',
    WEBSOCKET_CONNECT_BURST: '1000',
  };
}
