import { type AppProcess, rawRequest, requestHead, sleep, startAppProcess, statusOf, TEST_SECRET, TestClient, until } from '@switchboard/testing';

/** The gateway's plain HTTP side (probes, metrics, unknown paths), as its own process. */
describe('the gateway over HTTP', () => {
  let gw: AppProcess;

  beforeAll(async () => {
    gw = await startAppProcess('gateway', { JWT_SECRET: TEST_SECRET, HTTP_MAX_PENDING_BODIES_PER_IP: '3' });
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

  it('caps the bodies one address may be sending at once (429), each address on its own', async () => {
    const slowBody = requestHead('POST', '/nothing-here', { 'Content-Type': 'application/json', 'Content-Length': 100_000 }) + '{"a":';
    const slow = await Promise.all([1, 2, 3].map(() => rawRequest(gw.port, slowBody, { drip: ' ', everyMs: 200 })));
    const whole = (localAddress?: string) =>
      rawRequest(gw.port, requestHead('POST', '/nothing-here', { 'Content-Type': 'application/json', 'Content-Length': 2 }) + '{}', { localAddress }).then((r) => r.closed);
    try {
      await until('a fourth body from the same address refused with 429', 10_000, async () => statusOf(await whole()) === 429);
      expect(statusOf(await whole('127.0.0.2'))).toBe(404);
      slow[0].stop();
      await until('a slot free again once one slow body ended', 10_000, async () => statusOf(await whole()) === 404);
    } finally {
      for (const r of slow) r.stop();
    }
  }, 30000);
});

describe('the gateway with short HTTP timeouts', () => {
  let gw: AppProcess;

  beforeAll(async () => {
    gw = await startAppProcess('gateway', { JWT_SECRET: TEST_SECRET, HTTP_HEADERS_TIMEOUT: '500ms', HTTP_REQUEST_TIMEOUT: '1s' });
  }, 30000);
  afterAll(async () => {
    await gw?.stop('SIGKILL');
  });

  it('cuts off a body that trickles in after HTTP_REQUEST_TIMEOUT', async () => {
    const head = requestHead('POST', '/nothing-here', { 'Content-Type': 'application/json', 'Content-Length': 100_000 });
    const slow = await rawRequest(gw.port, head + '{"a":', { drip: ' ', everyMs: 200 });
    let ended = false;
    void slow.closed.then(() => (ended = true));
    try {
      // Node's default would keep it 300 s; 100 kB at 5 bytes a second would take hours.
      await until('the slow body cut off', 15_000, () => ended);
      expect(statusOf(slow.received())).not.toBe(404);
    } finally {
      slow.stop();
    }
  }, 30000);

  it('keeps a WebSocket open well past the request timeout: an upgraded socket is no longer a request', async () => {
    const c = await TestClient.connect(`${gw.url}/ws/long-lived?user_id=patient`);
    try {
      await c.next('user_list');
      const opened = Date.now();
      // Four times the request timeout, and a few of Node's timeout checks (every 100 ms here).
      while (Date.now() - opened < 4000) {
        expect(await c.ask({ type: 'ping' }, 'pong')).toMatchObject({ type: 'pong' });
        await sleep(250);
      }
      expect(c.closeCode).toBeUndefined();
    } finally {
      await c.close();
    }
  }, 20000);
});
