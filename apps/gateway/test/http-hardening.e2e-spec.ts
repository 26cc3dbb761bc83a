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

  it('answers an unknown path 404 naming the path, never echoing its query string', async () => {
    const res = await fetch(`${gw.http}/nothing-here?token=secret-in-query&api_key=key-in-query`);
    expect(res.status).toBe(404);
    const text = await res.text();
    expect(text).not.toMatch(/secret-in-query|key-in-query|\?/);
    expect(JSON.parse(text)).toEqual({ statusCode: 404, error: 'Not Found', message: 'Cannot GET /nothing-here' });
  });
});
