import { createHmac } from 'node:crypto';
import { type AppProcess, bearer, rest, signToken, startAppProcess, TestClient, upgradeStatus } from '@switchboard/testing';

const SECRET = 'security-test-secret-0123456789abcdef';
const BASE_ENV = { JWT_SECRET: SECRET, DATA_DIR: 'memory://', WEBSOCKET_CONNECT_BURST: '1000' };
const token = (claims: Record<string, unknown>) => signToken(claims, SECRET);
const apiKey = (key: string) => ({ 'X-API-Key': key });

/** Issue 11 on the REST surface and the credentials of `npm start` (standalone process, memory bus). */
describe('security of the standalone server', () => {
  let sa: AppProcess;
  let call: ReturnType<typeof rest>;
  const clients: TestClient[] = [];
  beforeAll(async () => {
    sa = await startAppProcess('standalone', BASE_ENV);
    call = rest(sa.http);
  }, 40000);
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await sa?.stop('SIGKILL');
  });
  const connect = async (path: string, headers: Record<string, string> = {}) => {
    const c = await TestClient.connect(`${sa.url}${path}`, { headers });
    clients.push(c);
    return c;
  };
  const register = async (username: string) => {
    const res = await call('POST', '/auth/register', { username, password: 'secret123' });
    expect(res.status).toBe(201);
    return res.body as { user_id: string; api_key: string };
  };
  const login = async (username: string, password = 'secret123') => {
    const res = await call('POST', '/auth/login', { username, password });
    expect(res.status).toBe(200);
    return res.body.access_token as string;
  };

  describe('REST', () => {
    it('accepts only JSON bodies on /auth/register and /auth/login (415), so a form on another site cannot post to them', async () => {
      for (const path of ['/auth/register', '/auth/login']) {
        for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x']) {
          const res = await call('POST', path, 'username=mallory&password=secret123', { 'Content-Type': type });
          expect(res.status).toBe(415);
          expect(res.body).toMatchObject({ success: false, error: { status: 415, code: 'unsupported_media_type' } });
        }
      }
      expect((await call('POST', '/auth/register', { username: 'json-user', password: 'secret123' })).status).toBe(201);
    });

    it('answers a 1 MB body with 413, and logs no stack trace', async () => {
      const logged = sa.logs.length;
      const big = JSON.stringify({ username: 'big', password: 'x'.repeat(1024 * 1024) });
      const res = await call('POST', '/auth/register', big);
      expect(res.status).toBe(413);
      expect(res.body).toEqual({ success: false, error: { status: 413, code: 'payload_too_large', message: 'request body too large' } });
      await new Promise((r) => setTimeout(r, 100));
      expect(sa.logs.slice(logged).join('\n')).not.toMatch(/stack|PayloadTooLargeError/);
    });

    it('sends security headers and no X-Powered-By; the page at / gets a CSP of its own', async () => {
      const json = await fetch(`${sa.http}/api/v1/ws/stats`);
      expect(json.headers.get('x-content-type-options')).toBe('nosniff');
      expect(json.headers.get('referrer-policy')).toBe('no-referrer');
      expect(json.headers.get('x-powered-by')).toBeNull();
      const page = await fetch(`${sa.http}/`);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      const csp = page.headers.get('content-security-policy') ?? '';
      expect(csp).toMatch(/default-src 'none'/);
      expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
      expect(csp).toMatch(/connect-src 'self'/);
      expect(csp).not.toMatch(/unsafe-inline/);
      expect(page.headers.get('x-powered-by')).toBeNull();
    });

    it('lists on /api/v1/rooms only with a credential, and only the rooms it may see (JWT and API-key callers)', async () => {
      const guest = await connect('/ws/secret-room?user_id=someone');
      await guest.next('user_list');
      const member = await connect(`/ws/r3?token=${token({ sub: 'u-r3', rooms: ['r3'] })}`);
      await member.next('user_list');

      expect((await call('GET', '/api/v1/rooms')).status).toBe(401);
      const limited = await call('GET', '/api/v1/rooms', undefined, bearer(token({ sub: 'u-r3', rooms: ['r3'] })));
      expect(limited.status).toBe(200);
      expect(limited.body.data).toEqual({ count: 1, rooms: { r3: 1 } });

      const { api_key } = await register('rooms-viewer');
      const all = await call('GET', '/api/v1/rooms', undefined, apiKey(api_key));
      expect(all.body.data.rooms).toMatchObject({ r3: 1, 'secret-room': 1 });
      const clientsOf = await call('GET', '/api/v1/rooms/secret-room/clients', undefined, apiKey(api_key));
      expect(clientsOf.body.data.clients).toEqual([expect.objectContaining({ user_id: 'someone', guest: true })]);
    });

    it('keeps /api/v1/ws/stats open by default (seed 003)', async () => {
      const res = await call('GET', '/api/v1/ws/stats');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ success: true, data: { total_clients: expect.any(Number), channels: expect.any(Object) } });
    });

    it('refuses a JWT without exp (401)', async () => {
      const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const unsigned = `${enc({ alg: 'HS256', typ: 'JWT' })}.${enc({ sub: 'u1', iat: Math.floor(Date.now() / 1000) })}`;
      const forever = `${unsigned}.${createHmac('sha256', SECRET).update(unsigned).digest('base64url')}`;
      const res = await call('GET', '/auth/me', undefined, bearer(forever));
      expect(res.status).toBe(401);
      expect(res.body.error.message).toBe('token has no expiry (exp)');
    });
  });

  describe('API keys and sessions on the gateway (memory bus)', () => {
    it('accepts an API key by header or query on every route that needs a credential; no key or an unknown one is 401', async () => {
      const { api_key, user_id } = await register('keyholder');
      const byHeader = await connect('/ws/auth/lobby', apiKey(api_key));
      expect(await byHeader.next('user_list')).toMatchObject({ room: 'lobby', data: ['keyholder'] });
      const byQuery = await connect(`/ws/auth?api_key=${encodeURIComponent(api_key)}`);
      byQuery.send({ type: 'join', room: 'lobby' });
      await byQuery.next('user_list');
      byQuery.send({ type: 'message', room: 'lobby', content: 'hi' });
      expect(await byHeader.next('message')).toMatchObject({ user_id, username: 'keyholder' });
      expect((await upgradeStatus(`${sa.url}/api/v1/ws?channel_id=general&api_key=${encodeURIComponent(api_key)}`)).status).toBe(101);

      expect((await upgradeStatus(`${sa.url}/ws/auth`)).status).toBe(401);
      const unknown = await upgradeStatus(`${sa.url}/ws/auth`, { headers: apiKey('sb_not-a-key') });
      expect(unknown.status).toBe(401);
      expect(JSON.parse(unknown.body).error).toBe('invalid API key');
    });

    it('refuses a regenerated key at once and closes its open connections with 4001', async () => {
      const { api_key: oldKey } = await register('rotator');
      const open = await connect('/ws/auth', apiKey(oldKey));
      const regen = await call('POST', '/auth/regenerate', undefined, apiKey(oldKey));
      expect(regen.status).toBe(200);
      expect((await upgradeStatus(`${sa.url}/ws/auth`, { headers: apiKey(oldKey) })).status).toBe(401);
      expect(await open.closed).toBe(4001);
      expect(open.closeReason).toBe('session revoked');
      expect((await upgradeStatus(`${sa.url}/ws/auth`, { headers: apiKey(regen.body.api_key) })).status).toBe(101);
    });

    it('ends older JWTs after /auth/newpassword on the api and the gateway, closing open connections with 4001; a new login works at once', async () => {
      const { api_key } = await register('changer');
      const old = await login('changer');
      const jwtConn = await connect(`/ws/auth?token=${old}`);
      const keyConn = await connect('/ws/auth', apiKey(api_key));
      const changed = await call('POST', '/auth/newpassword', { old_password: 'secret123', new_password: 'newsecret456' }, bearer(old));
      expect(changed.status).toBe(200);
      expect(await jwtConn.closed).toBe(4001);
      expect((await call('GET', '/auth/me', undefined, bearer(old))).status).toBe(401);
      const refused = await upgradeStatus(`${sa.url}/ws/auth?token=${old}`);
      expect(refused.status).toBe(401);
      expect(JSON.parse(refused.body).error).toMatch(/session revoked/);

      const fresh = await login('changer', 'newsecret456');
      expect((await call('GET', '/auth/me', undefined, bearer(fresh))).status).toBe(200);
      expect((await upgradeStatus(`${sa.url}/ws/auth?token=${fresh}`)).status).toBe(101);
      // The API key was not changed: its connection stays.
      expect(keyConn.closeCode).toBeUndefined();
    });
  });
});

describe('STATS_REQUIRE_AUTH=true', () => {
  it('closes /api/v1/ws/stats to callers without a credential and shows each credential only its rooms', async () => {
    const sa = await startAppProcess('standalone', { ...BASE_ENV, STATS_REQUIRE_AUTH: 'true' });
    const clients: TestClient[] = [];
    try {
      const call = rest(sa.http);
      for (const room of ['r3', 'hidden']) {
        const c = await TestClient.connect(`${sa.url}/ws/${room}?token=${token({ sub: `u-${room}` })}`);
        clients.push(c);
        await c.next('user_list');
      }
      expect((await call('GET', '/api/v1/ws/stats')).status).toBe(401);
      const limited = await call('GET', '/api/v1/ws/stats', undefined, bearer(token({ sub: 'viewer', rooms: ['r3'] })));
      expect(limited.status).toBe(200);
      expect(limited.body.data).toMatchObject({ total_clients: expect.any(Number), channels: { r3: 1 } });
      expect(limited.body.data.channels).not.toHaveProperty('hidden');
      const reg = await call('POST', '/auth/register', { username: 'statsviewer', password: 'secret123' });
      const all = await call('GET', '/api/v1/ws/stats', undefined, apiKey(reg.body.api_key));
      expect(all.body.data.channels).toEqual({ r3: 1, hidden: 1 });
    } finally {
      await Promise.all(clients.map((c) => c.close()));
      await sa.stop('SIGKILL');
    }
  }, 40000);
});
