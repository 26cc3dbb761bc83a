import { type AppProcess, rest, startAppProcess } from '@switchboard/testing';

const SECRET = 'hardening-test-secret-0123456789abcdef';

/** Issue 20's edge findings on the api as its own process (PGlite in memory, memory bus). */
describe('the api, hardened', () => {
  let api: AppProcess;
  let call: ReturnType<typeof rest>;

  beforeAll(async () => {
    api = await startAppProcess('api', { JWT_SECRET: SECRET, DATA_DIR: 'memory://', AUTH_RATE_LIMIT_PER_IP: '1000' }, 30000);
    call = rest(api.http);
  }, 40000);
  afterAll(async () => {
    await api?.stop('SIGKILL');
  });

  it('sends the security headers and no X-Powered-By on every response: docs, OpenAPI, body-parser errors, probes', async () => {
    const requests: Array<[string, RequestInit]> = [
      ['/docs', {}],
      ['/openapi.json', {}],
      ['/openapi.yaml', {}],
      ['/health/ready', {}],
      ['/metrics', {}],
      ['/nothing-here', {}],
      ['/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"username": ' }], // JSON the parser refuses
      ['/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ password: 'x'.repeat(2 * 1024 * 1024) }) }], // 413
    ];
    for (const [path, init] of requests) {
      const res = await fetch(`${api.http}${path}`, init);
      const seen = { path, status: res.status, poweredBy: res.headers.get('x-powered-by'), nosniff: res.headers.get('x-content-type-options'), frames: res.headers.get('x-frame-options') };
      expect(seen).toEqual({ ...seen, poweredBy: null, nosniff: 'nosniff', frames: 'SAMEORIGIN' });
      expect(res.headers.get('content-security-policy')).toMatch(path === '/docs' ? /script-src 'self'/ : /^default-src 'none';frame-ancestors 'none'$/);
      await res.arrayBuffer();
    }
  });

  it('answers an unknown path 404 naming the path, never echoing its query string', async () => {
    const res = await call('GET', '/nothing-here?token=secret-in-query&api%5Fkey=key-in-query');
    expect(res.status).toBe(404);
    expect(JSON.stringify(res.body)).not.toMatch(/secret-in-query|key-in-query|\?/);
    expect(res.body).toEqual({ success: false, error: { status: 404, code: 'not_found', message: 'Cannot GET /nothing-here' } });
  });
});
