import { createHmac } from 'node:crypto';
import { loadConfig, type SwitchboardConfig } from '../../../../libs/config/src';
import { type RunningGateway, startGateway } from '../../src/bootstrap';

export const TEST_SECRET = 'test-secret-0123456789abcdef';

/** Starts a gateway in this process on a free port, configured like the environment would. */
export async function startTestGateway(env: Record<string, string> = {}): Promise<RunningGateway & { url: string; http: string; config: SwitchboardConfig }> {
  const config = loadConfig({ JWT_SECRET: TEST_SECRET, PORT: '0', HOST: '127.0.0.1', ...env });
  const gw = await startGateway(config, false);
  return { ...gw, config, url: `ws://127.0.0.1:${gw.port}`, http: `http://127.0.0.1:${gw.port}` };
}

/** Signs an HS256 JWT by hand, so tests do not trust the code they test. */
export function signToken(claims: Record<string, unknown>, secret = TEST_SECRET, expiresInSec = 3600): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const body = enc({ iat: now, exp: now + expiresInSec, ...claims });
  const head = enc({ alg: 'HS256', typ: 'JWT' });
  const sig = createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}
