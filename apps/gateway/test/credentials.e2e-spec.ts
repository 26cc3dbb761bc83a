import { type AppProcess, bearer, RedisServer, rest, startAppProcess, TestClient, until, upgradeStatus } from '@switchboard/testing';

const SECRET = 'credentials-cluster-secret-0123456789';

/**
 * API keys and revocation across the cluster as docs/operations starts it: the api and two gateway
 * processes on one real Redis; the gateways have no database (BUS, REDIS_URL, JWT_SECRET only).
 */
describe('credentials across two gateway replicas and the api', () => {
  let redis: RedisServer;
  let api: AppProcess;
  let gws: AppProcess[];
  let call: ReturnType<typeof rest>;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    redis = await RedisServer.start();
    const env = { BUS: 'redis', REDIS_URL: redis.url, JWT_SECRET: SECRET, WEBSOCKET_CONNECT_BURST: '1000' };
    const started = await Promise.all([
      startAppProcess('api', { ...env, DATA_DIR: 'memory://' }),
      startAppProcess('gateway', env),
      startAppProcess('gateway', env),
    ]);
    [api, ...gws] = started;
    call = rest(api.http);
  }, 60000);
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await Promise.all([api, ...(gws ?? [])].map((p) => p?.stop('SIGKILL')));
    await redis?.destroy();
  });

  const connect = async (gw: AppProcess, path: string, headers: Record<string, string> = {}) => {
    const c = await TestClient.connect(`${gw.url}${path}`, { headers });
    clients.push(c);
    return c;
  };
  const status = async (gw: AppProcess, path: string, headers: Record<string, string> = {}) => (await upgradeStatus(`${gw.url}${path}`, { headers })).status;
  const register = async (username: string) => {
    const res = await call('POST', '/auth/register', { username, password: 'secret123' });
    expect(res.status).toBe(201);
    return res.body as { user_id: string; api_key: string };
  };
  /** Milliseconds from `since` until the client closed; fails after 3 s. */
  const closedAfter = async (c: TestClient, since: number) => {
    const code = await Promise.race([c.closed, new Promise<number>((_, reject) => setTimeout(() => reject(new Error('not closed within 3s')), 3000).unref())]);
    return { code, ms: Date.now() - since, reason: c.closeReason };
  };

  it('accepts keys the api issued, by header and by query, on both gateways; no key or an unknown key is 401 before the upgrade', async () => {
    const { api_key, user_id } = await register('cluster-key');
    const a = await connect(gws[0], '/ws/auth/keyroom', { 'X-API-Key': api_key });
    expect(await a.next('user_list')).toMatchObject({ room: 'keyroom', data: ['cluster-key'] });
    const b = await connect(gws[1], `/ws/auth/keyroom?api_key=${encodeURIComponent(api_key)}`);
    await b.next('user_list');
    b.send({ type: 'message', room: 'keyroom', content: 'across replicas' });
    expect(await a.next('message')).toMatchObject({ user_id, content: 'across replicas' });
    expect(await status(gws[1], `/api/v1/ws?channel_id=general`, { 'X-API-Key': api_key })).toBe(101);

    for (const gw of gws) {
      expect(await status(gw, '/ws/auth')).toBe(401);
      expect(await status(gw, '/ws/auth', { 'X-API-Key': 'sb_unknown' })).toBe(401);
      expect(await status(gw, '/ws/auth?api_key=sb_unknown')).toBe(401);
    }
  });

  it('refuses a regenerated key on every gateway at once, and closes its connections on both within a second (4001)', async () => {
    const { api_key: oldKey } = await register('cluster-rotator');
    const open = [await connect(gws[0], '/ws/auth', { 'X-API-Key': oldKey }), await connect(gws[1], `/ws/auth?api_key=${encodeURIComponent(oldKey)}`)];
    const regen = await call('POST', '/auth/regenerate', undefined, { 'X-API-Key': oldKey });
    expect(regen.status).toBe(200);
    const at = Date.now();
    for (const gw of gws) {
      expect(await status(gw, '/ws/auth', { 'X-API-Key': oldKey })).toBe(401);
      expect(await status(gw, '/ws/auth', { 'X-API-Key': regen.body.api_key })).toBe(101);
    }
    for (const c of open) {
      const closed = await closedAfter(c, at);
      expect(closed).toMatchObject({ code: 4001, reason: 'session revoked' });
      expect(closed.ms).toBeLessThan(1000);
    }
  });

  it('ends older JWTs on the api and both gateways after /auth/newpassword, closing that user\'s connections within a second (4001)', async () => {
    await register('cluster-changer');
    const old = (await call('POST', '/auth/login', { username: 'cluster-changer', password: 'secret123' })).body.access_token as string;
    const other = await register('cluster-bystander');
    const open = [await connect(gws[0], `/ws/auth?token=${old}`), await connect(gws[1], '/ws/auth', { Authorization: `Bearer ${old}` })];
    const bystander = await connect(gws[0], '/ws/auth', { 'X-API-Key': other.api_key });

    const changed = await call('POST', '/auth/newpassword', { old_password: 'secret123', new_password: 'newsecret456' }, bearer(old));
    expect(changed.status).toBe(200);
    const at = Date.now();
    for (const c of open) {
      const closed = await closedAfter(c, at);
      expect(closed).toMatchObject({ code: 4001, reason: 'session revoked' });
      expect(closed.ms).toBeLessThan(1000);
    }
    expect((await call('GET', '/auth/me', undefined, bearer(old))).status).toBe(401);
    for (const gw of gws) expect(await status(gw, `/ws/auth?token=${old}`)).toBe(401);
    expect(bystander.closeCode).toBeUndefined();

    const fresh = (await call('POST', '/auth/login', { username: 'cluster-changer', password: 'newsecret456' })).body.access_token as string;
    expect((await call('GET', '/auth/me', undefined, bearer(fresh))).status).toBe(200);
    for (const gw of gws) expect(await status(gw, `/ws/auth?token=${fresh}`)).toBe(101);
  });

  it('a gateway started after a revocation knows it (loaded at start)', async () => {
    await register('cluster-late');
    const old = (await call('POST', '/auth/login', { username: 'cluster-late', password: 'secret123' })).body.access_token as string;
    expect((await call('POST', '/auth/newpassword', { old_password: 'secret123', new_password: 'newsecret456' }, bearer(old))).status).toBe(200);
    const late = await startAppProcess('gateway', { BUS: 'redis', REDIS_URL: redis.url, JWT_SECRET: SECRET });
    try {
      expect(await status(late, `/ws/auth?token=${old}`)).toBe(401);
    } finally {
      await late.stop('SIGKILL');
    }
  }, 30000);

  it('takes the API key on /signaling (seed 004) by header and by query; no key, an unknown key or a replaced key is 401', async () => {
    const { api_key: oldKey } = await register('signaling-key');
    const a = await connect(gws[0], '/signaling', { 'X-API-Key': oldKey });
    const welcome = await a.next('welcome');
    const room = (await a.ask({ type: 'create_room' }, 'room_created')).room_id;
    const b = await connect(gws[1], `/signaling?api_key=${encodeURIComponent(oldKey)}`);
    expect((await b.next('welcome')).client_id).not.toBe(welcome.client_id);
    expect(await b.ask({ type: 'join_room', room_id: room }, 'room_joined')).toMatchObject({ peers: [welcome.client_id] });
    for (const gw of gws) {
      expect(await status(gw, '/signaling')).toBe(401);
      expect(await status(gw, '/signaling', { 'X-API-Key': 'sb_unknown' })).toBe(401);
    }
    const regen = await call('POST', '/auth/regenerate', undefined, { 'X-API-Key': oldKey });
    expect(regen.status).toBe(200);
    for (const [i, gw] of gws.entries()) {
      await until(`gateway ${i} to refuse the old key`, 5000, async () => (await status(gw, `/signaling?api_key=${encodeURIComponent(oldKey)}`)) === 401);
      expect(await status(gw, '/signaling', { 'X-API-Key': regen.body.api_key })).toBe(101);
    }
  });

  it('accepts keys again soon after Redis restarted empty: the api puts every key back', async () => {
    const { api_key } = await register('cluster-survivor');
    expect(await status(gws[0], '/ws/auth', { 'X-API-Key': api_key })).toBe(101);
    await redis.stop();
    await redis.start();
    await until('the key to be accepted again after the Redis restart', 20_000, async () => (await status(gws[0], '/ws/auth', { 'X-API-Key': api_key }).catch(() => 0)) === 101);
    expect(await status(gws[1], `/ws/auth?api_key=${encodeURIComponent(api_key)}`)).toBe(101);
  }, 40000);
});

