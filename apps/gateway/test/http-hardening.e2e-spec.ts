import { type AppProcess, startAppProcess, TEST_SECRET } from '@switchboard/testing';

/** The gateway's plain HTTP side (probes, metrics, unknown paths), as its own process. */
describe('the gateway over HTTP', () => {
  let gw: AppProcess;

  beforeAll(async () => {
    gw = await startAppProcess('gateway', { JWT_SECRET: TEST_SECRET });
  }, 30000);
  afterAll(async () => {
    await gw?.stop('SIGKILL');
  });

  it('sends the security headers and no X-Powered-By on every response: probes, metrics, 404s', async () => {
    for (const path of ['/health/live', '/health/ready', '/metrics', '/nothing-here', '/ws']) {
      const res = await fetch(`${gw.http}${path}`);
      expect({ path, poweredBy: res.headers.get('x-powered-by') }).toEqual({ path, poweredBy: null });
      expect({ path, nosniff: res.headers.get('x-content-type-options') }).toEqual({ path, nosniff: 'nosniff' });
      expect({ path, referrer: res.headers.get('referrer-policy') }).toEqual({ path, referrer: 'no-referrer' });
      expect({ path, csp: res.headers.get('content-security-policy') }).toEqual({ path, csp: "default-src 'none';frame-ancestors 'none'" });
      await res.arrayBuffer();
    }
  });

  it('answers an unknown path 404 naming the path, never echoing its query string', async () => {
    const res = await fetch(`${gw.http}/nothing-here?token=secret-in-query&api_key=key-in-query`);
    expect(res.status).toBe(404);
    const text = await res.text();
    expect(text).not.toMatch(/secret-in-query|key-in-query|\?/);
    expect(JSON.parse(text)).toEqual({ statusCode: 404, error: 'Not Found', message: 'Cannot GET /nothing-here' });
  });
});
