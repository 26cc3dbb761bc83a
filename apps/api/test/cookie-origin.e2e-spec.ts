import { type AppProcess, bearer, rest, startAppProcess } from '@switchboard/testing';

const SECRET = 'cookie-origin-secret-0123456789abcdef';

/**
 * A browser sends the `token` cookie with any request any site makes, and Nest parses form
 * bodies: a page elsewhere could post a form to the api as its visitor. The cookie counts only
 * from an allowed origin (with the default `*`, the api's own), as on the gateway. Real api process.
 */
describe('the token cookie on the REST api', () => {
  let api: AppProcess;
  let call: ReturnType<typeof rest>;
  let token: string;
  let apiKey: string;
  const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
  const cookie = () => ({ Cookie: `token=${token}` });
  const history = async (channel: string) => {
    const res = await call('GET', `/api/v1/channels/${channel}/messages`, undefined, bearer(token));
    expect(res.status).toBe(200);
    return (res.body.data as Array<{ content: string }>).map((m) => m.content);
  };

  beforeAll(async () => {
    api = await startAppProcess('api', { JWT_SECRET: SECRET, DATA_DIR: 'memory://' });
    call = rest(api.http);
    const reg = await call('POST', '/auth/register', { username: 'victim', password: 'secret123' });
    expect(reg.status).toBe(201);
    apiKey = reg.body.api_key;
    token = (await call('POST', '/auth/login', { username: 'victim', password: 'secret123' })).body.access_token;
  }, 90000);
  afterAll(async () => {
    await api?.stop('SIGKILL');
  });

  it('refuses a cookie sent from a foreign origin (401; a form body 415) and stores nothing', async () => {
    for (const origin of ['https://evil.example', 'null', `${api.http.replace('127.0.0.1', 'localhost')}`]) {
      // A form is refused for its body before its cookie is looked at (JSON only, 415).
      const viaForm = await call('POST', '/api/v1/messages', 'channel_id=cookie-room&content=forged', { ...form, ...cookie(), Origin: origin });
      expect(viaForm.status).toBe(415);
      const viaJson = await call('POST', '/api/v1/messages', { channel_id: 'cookie-room', content: 'forged' }, { ...cookie(), Origin: origin });
      expect(viaJson.status).toBe(401);
      expect(viaJson.body).toEqual({ success: false, error: { status: 401, code: 'unauthorized', message: expect.stringMatching(/token cookie counts only from an allowed origin/) } });
    }
    expect(await history('cookie-room')).toEqual([]);
  });

  it('refuses /auth/regenerate by a foreign cookie: the API key stays the same', async () => {
    const res = await call('POST', '/auth/regenerate', undefined, { ...cookie(), Origin: 'https://evil.example' });
    expect(res.status).toBe(401);
    const me = await call('GET', '/auth/me', undefined, { 'X-API-Key': apiKey });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ username: 'victim', via: 'api_key' });
  });

  it('accepts the cookie from the api\'s own origin and from a client without Origin', async () => {
    const same = await call('POST', '/api/v1/messages', { channel_id: 'cookie-room', content: 'same origin' }, { ...cookie(), Origin: api.http });
    expect(same.status).toBe(201);
    const noOrigin = await call('POST', '/api/v1/messages', { channel_id: 'cookie-room', content: 'no origin' }, cookie());
    expect(noOrigin.status).toBe(201);
    expect(await history('cookie-room')).toEqual(['no origin', 'same origin']);
    const me = await call('GET', '/auth/me', undefined, { ...cookie(), Origin: api.http });
    expect(me.body).toMatchObject({ username: 'victim', via: 'jwt' });
  });

  it("counts the cookie only from the api's own scheme too: a page on http://host cannot use https://host's cookie, nor the reverse", async () => {
    const otherScheme = api.http.replace('http://', 'https://');
    const res = await call('GET', '/auth/me', undefined, { ...cookie(), Origin: otherScheme });
    expect(res.status).toBe(401);
    expect(res.body.error.message).toMatch(/token cookie counts only from an allowed origin/);
  });

  it('behind a trusted proxy, takes the scheme from X-Forwarded-Proto', async () => {
    const proxied = await startAppProcess('api', { JWT_SECRET: SECRET, DATA_DIR: 'memory://', TRUST_PROXY: 'true' });
    try {
      const viaProxy = rest(proxied.http);
      const host = new URL(proxied.http).host;
      const me = (origin: string) => viaProxy('GET', '/auth/me', undefined, { ...cookie(), Origin: origin, 'X-Forwarded-Proto': 'https' }).then((r) => r.status);
      expect(await me(`https://${host}`)).toBe(200);
      expect(await me(`http://${host}`)).toBe(401);
    } finally {
      await proxied.stop('SIGKILL');
    }
  }, 70000);

  it('still takes a bearer token from any origin: a page must send it on purpose', async () => {
    const res = await call('POST', '/api/v1/messages', { channel_id: 'bearer-room', content: 'by header' }, { ...bearer(token), Origin: 'https://app.example' });
    expect(res.status).toBe(201);
    expect(await history('bearer-room')).toEqual(['by header']);
  });
});
