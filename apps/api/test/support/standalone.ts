import { loadConfig, type SwitchboardConfig } from '@switchboard/config';
import type { RunningGateway } from '@switchboard/gateway';
import { startStandaloneServer } from '@switchboard/standalone';

export const TEST_SECRET = 'api-test-secret-0123456789abcdef';

export type Standalone = RunningGateway & { url: string; http: string; config: SwitchboardConfig };

/** The standalone server (gateway + api, in-memory bus, PGlite in memory) in this process on a free port. */
export async function startStandalone(env: Record<string, string> = {}): Promise<Standalone> {
  const config = loadConfig({ JWT_SECRET: TEST_SECRET, PORT: '0', HOST: '127.0.0.1', DATA_DIR: 'memory://', WEBSOCKET_CONNECT_BURST: '1000', AUTH_RATE_LIMIT_PER_IP: '10000', AUTH_RATE_LIMIT_PER_USERNAME: '10000', ...env });
  const gw = await startStandaloneServer(config, false);
  return { ...gw, config, url: `ws://127.0.0.1:${gw.port}`, http: `http://127.0.0.1:${gw.port}` };
}

