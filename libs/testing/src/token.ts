import { createHmac } from 'node:crypto';

/** The JWT secret every test gateway and api is started with. */
export const TEST_SECRET = 'test-secret-0123456789abcdef';

/** Signs an HS256 JWT by hand, so tests do not trust the code they test; `header` adds to its JOSE header. */
export function signToken(claims: Record<string, unknown>, secret = TEST_SECRET, expiresInSec = 3600, header: Record<string, unknown> = {}): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const body = enc({ iat: now, exp: now + expiresInSec, ...claims });
  const head = enc({ alg: 'HS256', typ: 'JWT', ...header });
  const sig = createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}
