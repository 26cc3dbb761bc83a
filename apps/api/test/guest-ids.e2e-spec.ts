import { randomBytes } from 'node:crypto';
import { type AppProcess, bearer, RedisServer, rest, signToken, startAppProcess, TestClient, until, upgradeStatus } from '@switchboard/testing';

const SECRET = 'guest-ids-test-secret-0123456789abcdef';
const BASE_ENV = { JWT_SECRET: SECRET, DATA_DIR: 'memory://', WEBSOCKET_CONNECT_BURST: '1000' };

/**
 * Issue 20, finding 1: a guest naming itself with `?user_id=` after a registered user must
 * never receive that user's private messages (WS `private_message`, REST
 * `POST /api/v1/users/{id}/messages`); seed 002's guest ids that are nobody's keep working,
 * and a sender learns when nobody received a private message. Run on every topology: the api
 * and two gateway replicas on Redis, and the standalone server.
 */
describe.each([
  ['api + two gateways on Redis', 'cluster'],
  ['the standalone server', 'standalone'],
] as const)('guest ids on %s', (_name, topology) => {
  const procs: AppProcess[] = [];
  let redis: RedisServer | undefined;
  let api: AppProcess;
  let gws: AppProcess[];
  let call: ReturnType<typeof rest>;
  const clients: TestClient[] = [];
  const suffix = randomBytes(4).toString('hex');
  let victim: { id: string; token: string };
  let ops: string;

  beforeAll(async () => {
    const users = `ops-${suffix}`;
    if (topology === 'cluster') {
      redis = await RedisServer.start();
      const env = { ...BASE_ENV, BUS: 'redis', REDIS_URL: redis.url, WEBSOCKET_HEARTBEAT_INTERVAL: '250ms', WEBSOCKET_CONNECTION_TIMEOUT: '2s' };
      procs.push(...(await Promise.all([startAppProcess('api', { ...env, SERVICE_USERS: users }), startAppProcess('gateway', env), startAppProcess('gateway', env)])));
      [api, ...gws] = procs;
    } else {
      procs.push(await startAppProcess('standalone', { ...BASE_ENV, SERVICE_USERS: users }));
      api = procs[0];
      gws = [procs[0], procs[0]];
    }
    call = rest(api.http);
    const account = async (username: string) => {
      const reg = await call('POST', '/auth/register', { username, password: 'secret123' });
      expect(reg.status).toBe(201);
      const token = (await call('POST', '/auth/login', { username, password: 'secret123' })).body.access_token as string;
      return { id: reg.body.user_id as string, token };
    };
    victim = await account(`victim-${suffix}`);
    ops = (await account(users)).token;
  }, 90000);
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop('SIGKILL')));
    await redis?.destroy();
  });

  const connect = async (gw: AppProcess, path: string) => {
    const c = await TestClient.connect(`${gw.url}${path}`);
    clients.push(c);
    return c;
  };

  it('refuses a guest that names itself after a registered user (409), on every replica, by WebSocket and SSE', async () => {
    for (const gw of gws) {
      for (const path of [`/ws?user_id=${victim.id}`, `/ws/lobby?user_id=${victim.id}`]) {
        const res = await upgradeStatus(`${gw.url}${path}`);
        expect({ path, status: res.status }).toEqual({ path, status: 409 });
        expect(JSON.parse(res.body).error).toMatch(/belongs to a registered user/);
      }
      const sse = await fetch(`${gw.http}/ws/lobby?user_id=${victim.id}`, { headers: { Accept: 'text/event-stream' } });
      expect(sse.status).toBe(409);
    }
  });

  it('never delivers a registered user\'s private messages to a guest, and tells the sender nobody received them', async () => {
    // A guest may not take the id; nothing addressed to the offline user reaches any guest either.
    const guests = await Promise.all(gws.map((gw) => connect(gw, `/ws?user_id=watcher-${suffix}`)));
    const sender = await connect(gws[0], `/ws/auth?token=${signToken({ sub: `sender-${suffix}`, username: 'sender' }, SECRET)}`);
    sender.send({ type: 'private_message', user_id: victim.id, content: 'secret over ws' });
    expect(await sender.next('error')).toMatchObject({ data: { code: 'user_offline' } });

    const dm = await call('POST', `/api/v1/users/${victim.id}/messages`, { content: 'secret over rest' }, bearer(ops));
    expect(dm.status).toBe(202);
    expect(dm.body).toEqual({ success: true, data: { replicas: 0, delivered: false, reason: `user "${victim.id}" is not connected; nothing was delivered` } });
    for (const g of guests) await g.none('private_message', 200);

    // Online, the user gets them (on the other replica), and the answer says so.
    const real = await connect(gws[1], `/ws/auth?token=${victim.token}`);
    await real.ask({ type: 'ping' }, 'pong');
    const online = await call('POST', `/api/v1/users/${victim.id}/messages`, { content: 'for you' }, bearer(ops));
    expect(online.body).toEqual({ success: true, data: { replicas: 1, delivered: true } });
    expect(await real.next('private_message')).toMatchObject({ content: 'for you' });
  });

  it('keeps seed 002: a guest named after nobody\'s id gets BroadcastToUser and private messages, across replicas', async () => {
    const name = `user123-${suffix}`;
    const guest = await connect(gws[1], `/ws?user_id=${name}`);
    const dm = await call('POST', `/api/v1/users/${name}/messages`, { content: 'hello guest' }, bearer(ops));
    expect(dm.body).toEqual({ success: true, data: { replicas: 1, delivered: true } });
    expect(await guest.next('private_message')).toMatchObject({ content: 'hello guest' });

    const sender = await connect(gws[0], `/ws/auth?token=${signToken({ sub: `pm-${suffix}`, username: 'pm' }, SECRET)}`);
    sender.send({ type: 'private_message', user_id: name, content: 'over ws' });
    expect(await guest.next('private_message')).toMatchObject({ content: 'over ws', user_id: `pm-${suffix}` });
    await sender.none('error', 100);
  });

  it('never lets a guest take a registered id while the store is being rebuilt (Redis restarted empty): 503 until the api put the users back, then 409', async () => {
    await redis?.restart();
    const seen = new Set<number>();
    await until('the api put the registered users back', 20000, async () => {
      const status = (await upgradeStatus(`${gws[0].url}/ws?user_id=${victim.id}`)).status;
      seen.add(status);
      return status === 409;
    });
    expect(seen).not.toContain(101);
    expect([...seen].every((s) => s === 409 || s === 503)).toBe(true);
  }, 30000);
});

/**
 * WEBSOCKET_GUEST_ID_NAMESPACE: tokens of an outside identity provider name subjects the api
 * never registered, so every guest id is `guest:<id>` and only such ids reach guests.
 */
describe('guest ids in their own namespace (WEBSOCKET_GUEST_ID_NAMESPACE=true)', () => {
  let sa: AppProcess;
  let call: ReturnType<typeof rest>;
  const clients: TestClient[] = [];
  beforeAll(async () => {
    sa = await startAppProcess('standalone', { ...BASE_ENV, WEBSOCKET_GUEST_ID_NAMESPACE: 'true', SERVICE_USERS: 'ops' });
    call = rest(sa.http);
  }, 90000);
  afterAll(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await sa?.stop('SIGKILL');
  });
  const connect = async (path: string) => {
    const c = await TestClient.connect(`${sa.url}${path}`);
    clients.push(c);
    return c;
  };

  it('gives a guest the id guest:<id>; what is addressed to an outside subject never reaches it', async () => {
    const guest = await connect('/ws/lobby?user_id=sub-7');
    const list = await guest.next('user_list');
    expect(JSON.stringify(list)).toContain('guest:sub-7');
    const sender = await connect(`/ws/auth?token=${signToken({ sub: 'sender', username: 'sender' }, SECRET)}`);
    sender.send({ type: 'private_message', user_id: 'sub-7', content: 'for the outside user' });
    expect(await sender.next('error')).toMatchObject({ data: { code: 'user_offline' } });
    await guest.none('private_message', 200);

    sender.send({ type: 'private_message', user_id: 'guest:sub-7', content: 'for the guest' });
    expect(await guest.next('private_message')).toMatchObject({ content: 'for the guest' });
    const ops = (await call('POST', '/auth/register', { username: 'ops', password: 'secret123' })).status;
    expect(ops).toBe(201);
    const token = (await call('POST', '/auth/login', { username: 'ops', password: 'secret123' })).body.access_token as string;
    expect((await call('POST', '/api/v1/users/sub-7/messages', { content: 'x' }, bearer(token))).body.data.delivered).toBe(false);
    expect((await call('POST', '/api/v1/users/guest:sub-7/messages', { content: 'y' }, bearer(token))).body.data.delivered).toBe(true);
    expect(await guest.next('private_message')).toMatchObject({ content: 'y' });
  });
});
