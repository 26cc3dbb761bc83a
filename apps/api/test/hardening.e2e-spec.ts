import { type AppProcess, bearer, rawRequest, requestHead, rest, signToken, startAppProcess, statusOf, until, upgradeStatus } from '@switchboard/testing';

const SECRET = 'hardening-test-secret-0123456789abcdef';

/** Issue 20's edge findings on the api as its own process (PGlite in memory, memory bus). */
describe('the api, hardened', () => {
  let api: AppProcess;
  let call: ReturnType<typeof rest>;

  beforeAll(async () => {
    api = await startAppProcess('api', { JWT_SECRET: SECRET, DATA_DIR: 'memory://', AUTH_RATE_LIMIT_PER_IP: '1000', AUTH_RATE_LIMIT_PER_USERNAME: '1000', HTTP_MAX_PENDING_BODIES_PER_IP: '3' });
    call = rest(api.http);
  }, 70000);
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

  it('answers a NUL character in a username, email, message, PATCH body, ?before= or id with 400 naming where, and logs no error', async () => {
    expect((await call('POST', '/auth/register', { username: 'nul-user', password: 'secret-pass-123' })).status).toBe(201);
    const token = (await call('POST', '/auth/login', { username: 'nul-user', password: 'secret-pass-123' })).body.access_token as string;
    const created = await call('POST', '/api/v1/messages', { channel_id: 'nul-room', content: 'fine' }, bearer(token));
    expect(created.status).toBe(201);
    const id = created.body.data.id as string;
    const logged = api.logs.length;
    const cases: Array<[string, string, unknown, Record<string, string>, RegExp]> = [
      ['POST', '/auth/login', { username: 'nul\u0000user', password: 'secret-pass-123' }, {}, /field "username"/],
      ['POST', '/auth/register', { username: 'nul-two', password: 'secret-pass-123', email: 'a\u0000@example.com' }, {}, /"email"/],
      ['POST', '/api/v1/messages', { channel_id: 'nul-room', content: 'a\u0000b' }, bearer(token), /field "content"/],
      ['PATCH', `/api/v1/messages/${id}`, { content: '\u0000' }, bearer(token), /field "content"/],
      ['GET', '/api/v1/channels/nul-room/messages?before=%00', undefined, bearer(token), /query parameter "before"/],
      ['PATCH', '/api/v1/messages/x%00y', { content: 'edit' }, bearer(token), /the path/],
      ['DELETE', '/api/v1/messages/%00', undefined, bearer(token), /the path/],
    ];
    for (const [method, path, body, headers, where] of cases) {
      const res = await call(method, path, body, headers);
      expect({ method, path, status: res.status }).toEqual({ method, path, status: 400 });
      expect(res.body.error.message).toMatch(where);
      expect(res.body.error.message).toMatch(/must not contain a NUL character/);
    }
    const lines = api.logs.slice(logged).join('\n');
    expect(lines).not.toMatch(/"level":"(error|fatal)"|stack/);
  });

  it('accepts only JSON bodies on POST and PATCH /api/v1/messages (415 for a form or text), and stores nothing else', async () => {
    expect((await call('POST', '/auth/register', { username: 'form-user', password: 'secret-pass-123' })).status).toBe(201);
    const token = (await call('POST', '/auth/login', { username: 'form-user', password: 'secret-pass-123' })).body.access_token as string;
    const created = await call('POST', '/api/v1/messages', { channel_id: 'form-room', content: 'json' }, bearer(token));
    expect(created.status).toBe(201);
    for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x']) {
      const post = await call('POST', '/api/v1/messages', 'channel_id=form-room&content=from-a-form', { ...bearer(token), 'Content-Type': type });
      expect({ type, status: post.status, body: post.body }).toMatchObject({ type, status: 415, body: { success: false, error: { status: 415, code: 'unsupported_media_type' } } });
      const patch = await call('PATCH', `/api/v1/messages/${created.body.data.id}`, 'content=from-a-form', { ...bearer(token), 'Content-Type': type });
      expect({ type, status: patch.status }).toEqual({ type, status: 415 });
    }
    const history = await call('GET', '/api/v1/channels/form-room/messages', undefined, bearer(token));
    expect(history.body.data.map((m: { content: string }) => m.content)).toEqual(['json']);
  });

  it('gives an email to one user only (409, in any case) and takes only the form of an address', async () => {
    expect((await call('POST', '/auth/register', { username: 'mail-one', password: 'secret-pass-123', email: 'Mail.Owner@example.com' })).status).toBe(201);
    const taken = await call('POST', '/auth/register', { username: 'mail-two', password: 'secret-pass-123', email: 'mail.owner@EXAMPLE.com' });
    expect(taken.status).toBe(409);
    expect(taken.body.error.message).toBe('email is already registered to another user');
    for (const email of ['"quoted"@example.com', '<x>@example.com', 'a b@example.com', 'user@localhost', 'a@b', 'a@@example.com']) {
      const res = await call('POST', '/auth/register', { username: 'mail-three', password: 'secret-pass-123', email });
      expect({ email, status: res.status, message: res.body.error?.message }).toEqual({ email, status: 400, message: '"email" must be an email address' });
    }
    expect((await call('POST', '/auth/register', { username: 'mail-three', password: 'secret-pass-123', email: 'first.last+tag@sub.example.org' })).status).toBe(201);
    expect((await call('POST', '/auth/register', { username: 'mail-four', password: 'secret-pass-123' })).status).toBe(201);
    expect((await call('POST', '/auth/register', { username: 'mail-five', password: 'secret-pass-123' })).status).toBe(201);
  });

  it('replaces the API key on a password change when the request says rotate_api_key: true, and says so in the OpenAPI document', async () => {
    const key = (username: string) => call('POST', '/auth/register', { username, password: 'secret-pass-123' }).then((r) => r.body.api_key as string);
    const me = (apiKey: string) => call('GET', '/auth/me', undefined, { 'X-API-Key': apiKey }).then((r) => r.status);
    const change = (apiKey: string, extra: Record<string, unknown>) =>
      call('POST', '/auth/newpassword', { old_password: 'secret-pass-123', new_password: 'another-pass-456', ...extra }, { 'X-API-Key': apiKey });

    const rotating = await key('rotating-user');
    const rotated = await change(rotating, { rotate_api_key: true });
    expect(rotated.status).toBe(200);
    expect(rotated.body).toEqual({ success: true, api_key: expect.any(String) });
    expect(await me(rotating)).toBe(401);
    expect(await me(rotated.body.api_key)).toBe(200);

    const keeping = await key('keeping-user');
    const kept = await change(keeping, {});
    expect(kept.body).toEqual({ success: true });
    expect(await me(keeping)).toBe(200);
    expect((await change(keeping, { old_password: 'another-pass-456', rotate_api_key: 'yes' })).body.error.message).toBe('"rotate_api_key" must be true or false');

    const doc = (await call('GET', '/openapi.json')).body;
    const op = doc.paths['/auth/newpassword'].post;
    const schema = doc.components.schemas[op.requestBody.content['application/json'].schema.$ref.split('/').pop()];
    expect(schema.properties.rotate_api_key).toMatchObject({ type: 'boolean', description: expect.stringMatching(/API key is replaced/) });
    expect(op.responses['200'].description).toMatch(/rotate_api_key/);
  });

  it('caps the bodies one address may be sending at once (429, connection closed), each address on its own', async () => {
    const slowBody = requestHead('POST', '/auth/login', { 'Content-Type': 'application/json', 'Content-Length': 100_000 }) + '{"username":';
    const slow = await Promise.all([1, 2, 3].map(() => rawRequest(api.port, slowBody, { drip: ' ', everyMs: 200 })));
    const body = '{"username":"nobody-here","password":"not-the-password"}';
    const whole = (localAddress?: string) =>
      rawRequest(api.port, requestHead('POST', '/auth/login', { 'Content-Type': 'application/json', 'Content-Length': body.length }) + body, { localAddress }).then((r) => r.closed);
    try {
      const refused = await until('a fourth body from the same address refused', 10_000, async () => {
        const answer = await whole();
        return statusOf(answer) === 429 ? answer : undefined;
      });
      expect(refused).toMatch(/\r\nConnection: close\r\n/i);
      expect(refused).toMatch(/\r\nX-Content-Type-Options: nosniff\r\n/i);
      expect(JSON.parse(refused.slice(refused.indexOf('\r\n\r\n') + 4))).toMatchObject({ success: false, error: { status: 429, code: 'too_many_requests' } });
      // Another address is not held up by this one's slow bodies.
      expect(statusOf(await whole('127.0.0.2'))).toBe(401);
      slow[0].stop();
      await until('a slot free again once one slow body ended', 10_000, async () => statusOf(await whole()) === 401);
      const metrics = await (await fetch(`${api.http}/metrics`)).text();
      expect(metrics).toMatch(/^switchboard_http_refused_total\{reason="pending_bodies_per_ip"\} [1-9]/m);
    } finally {
      for (const r of slow) r.stop();
    }
  }, 30000);
});

describe('the api with short HTTP timeouts', () => {
  let api: AppProcess;

  beforeAll(async () => {
    api = await startAppProcess('api', { JWT_SECRET: SECRET, DATA_DIR: 'memory://', HTTP_HEADERS_TIMEOUT: '1s', HTTP_REQUEST_TIMEOUT: '2s' });
  }, 70000);
  afterAll(async () => {
    await api?.stop('SIGKILL');
  });

  it('cuts off a body that trickles in (HTTP_REQUEST_TIMEOUT) and a head that does (HTTP_HEADERS_TIMEOUT)', async () => {
    const head = requestHead('POST', '/auth/login', { 'Content-Type': 'application/json', 'Content-Length': 100_000 });
    const slowBody = await rawRequest(api.port, head + '{"username":', { drip: ' ', everyMs: 200 });
    const slowHead = await rawRequest(api.port, 'GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n', { drip: 'X-Slow: a\r\n', everyMs: 200 });
    let ended = 0;
    for (const r of [slowBody, slowHead]) void r.closed.then(() => ended++);
    try {
      // Node's defaults would keep them 300 s and 60 s; 100 kB at 5 bytes a second would take hours.
      await until('both slow requests cut off', 15_000, () => ended === 2);
      expect(statusOf(slowHead.received())).toBe(408);
      expect(statusOf(slowBody.received()) ?? 408).toBe(408);
    } finally {
      slowBody.stop();
      slowHead.stop();
    }
  }, 30000);
});

describe('JWT_AUDIENCE, JWT_ISSUER, iat and crit on the api and a gateway', () => {
  const env = { JWT_SECRET: SECRET, JWT_AUDIENCE: 'switchboard-test', JWT_ISSUER: 'https://issuer.test' };
  let api: AppProcess;
  let gw: AppProcess;

  beforeAll(async () => {
    // One after the other: a start that fails leaves nothing running that afterAll would not stop.
    api = await startAppProcess('api', { ...env, DATA_DIR: 'memory://' });
    gw = await startAppProcess('gateway', env);
  }, 90000);
  afterAll(async () => {
    await Promise.all([api?.stop('SIGKILL'), gw?.stop('SIGKILL')]);
  });

  it("issues tokens with aud and iss that both accept, and refuses others' tokens, future iat and crit with 401 saying why", async () => {
    const call = rest(api.http);
    expect((await call('POST', '/auth/register', { username: 'aud-user', password: 'secret-pass-123' })).status).toBe(201);
    const issued = (await call('POST', '/auth/login', { username: 'aud-user', password: 'secret-pass-123' })).body.access_token as string;
    expect(JSON.parse(Buffer.from(issued.split('.')[1], 'base64url').toString())).toMatchObject({ aud: 'switchboard-test', iss: 'https://issuer.test' });
    expect((await call('GET', '/auth/me', undefined, bearer(issued))).status).toBe(200);
    expect((await upgradeStatus(`${gw.url}/ws/auth?token=${issued}`)).status).toBe(101);

    const now = Math.floor(Date.now() / 1000);
    const good = { sub: 'hand-made', aud: 'switchboard-test', iss: 'https://issuer.test' };
    const refused: Array<[string, string]> = [
      [signToken({ ...good, aud: 'another-service' }, SECRET), 'token is for another audience (aud)'],
      [signToken({ sub: 'hand-made', iss: 'https://issuer.test' }, SECRET), 'token is for another audience (aud)'],
      [signToken({ ...good, iss: 'https://elsewhere.test' }, SECRET), 'token is from another issuer (iss)'],
      [signToken({ ...good, iat: now + 3600 }, SECRET, 7200), 'token issued in the future (iat)'],
      [signToken(good, SECRET, 3600, { crit: ['x-bind'], 'x-bind': 'tls' }), 'token header "crit" names extensions this server does not implement: x-bind'],
    ];
    for (const [token, reason] of refused) {
      const me = await call('GET', '/auth/me', undefined, bearer(token));
      expect({ reason, status: me.status, message: me.body.error?.message }).toEqual({ reason, status: 401, message: reason });
      const upgrade = await upgradeStatus(`${gw.url}/ws/auth?token=${token}`);
      expect({ reason, status: upgrade.status, error: JSON.parse(upgrade.body).error }).toEqual({ reason, status: 401, error: reason });
    }
    expect((await upgradeStatus(`${gw.url}/ws/auth?token=${signToken({ ...good, iat: now + 5 }, SECRET)}`)).status).toBe(101);
  });
});
