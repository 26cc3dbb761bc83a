import { randomBytes } from 'node:crypto';
import { type AppProcess, bearer, RedisServer, rest, startAppProcess, TestClient, until } from '@switchboard/testing';

const DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const SECRET = 'cluster-api-secret-0123456789abcdef';

/**
 * The design's topology as real processes: two gateway replicas and the api on one Redis,
 * the api storing in a real PostgreSQL server. Seed 003's JavaScript and Go client flows.
 */
describe('api + two gateways over Redis, PostgreSQL store', () => {
  let redis: RedisServer;
  let api: AppProcess;
  const gws: AppProcess[] = [];
  const clients: TestClient[] = [];
  let call: ReturnType<typeof rest>;
  const suffix = randomBytes(4).toString('hex');
  const tokens: Record<string, string> = {};
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    redis = await RedisServer.start();
    const env = {
      BUS: 'redis',
      REDIS_URL: redis.url,
      JWT_SECRET: SECRET,
      WEBSOCKET_CONNECT_BURST: '1000',
      WEBSOCKET_HEARTBEAT_INTERVAL: '250ms',
      WEBSOCKET_CONNECTION_TIMEOUT: '2s',
    };
    const started = await Promise.all([
      startAppProcess('api', { ...env, DATABASE_URL, SERVICE_USERS: `ops-${suffix}` }),
      startAppProcess('gateway', env),
      startAppProcess('gateway', env),
    ]);
    [api] = started;
    gws.push(started[1], started[2]);
    call = rest(api.http);
    for (const name of ['ann', 'bob', 'ops']) {
      const username = `${name}-${suffix}`;
      const reg = await call('POST', '/auth/register', { username, password: 'secret123', email: `${username}@example.com` });
      expect(reg.status).toBe(201);
      ids[name] = reg.body.user_id;
      tokens[name] = (await call('POST', '/auth/login', { username, password: 'secret123' })).body.access_token;
    }
  }, 60000);
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await Promise.all([api, ...gws].map((p) => p?.stop('SIGKILL')));
    await redis.destroy();
  });

  const connect = async (gw: AppProcess, path: string) => {
    const c = await TestClient.connect(`${gw.url}${path}`);
    clients.push(c);
    return c;
  };

  it('runs seed 003\'s JavaScript flow and Go flow on different replicas', async () => {
    const channel = `general-${suffix}`;
    // JavaScript client: ?channel_id= joins on connect.
    const js = await connect(gws[0], `/api/v1/ws?channel_id=${channel}&token=${tokens.ann}`);
    await js.next('channel_joined');
    // Go client: connects to /api/v1/ws, then sends join_channel.
    const go = await connect(gws[1], `/api/v1/ws?token=${tokens.bob}`);
    go.send({ type: 'join_channel', channel_id: channel });
    expect(await go.next('channel_joined')).toMatchObject({ channel_id: channel, user_email: `bob-${suffix}@example.com` });

    const created = await call('POST', '/api/v1/messages', { channel_id: channel, content: 'Hello world!' }, bearer(tokens.ann));
    expect(created.status).toBe(201);
    const id = created.body.data.id;
    for (const c of [js, go]) expect(await c.next('new_message')).toMatchObject({ channel_id: channel, data: { id, content: 'Hello world!' } });

    await call('PATCH', `/api/v1/messages/${id}`, { content: 'Updated message' }, bearer(tokens.ann));
    for (const c of [js, go]) expect(await c.next('message_updated')).toMatchObject({ data: { id, content: 'Updated message' } });
    expect((await call('DELETE', `/api/v1/messages/${id}`, undefined, bearer(tokens.bob))).status).toBe(403);
    await call('DELETE', `/api/v1/messages/${id}`, undefined, bearer(tokens.ann));
    for (const c of [js, go]) expect(await c.next('message_deleted')).toMatchObject({ data: { id } });

    go.send({ type: 'ping' });
    expect((await go.next('pong')).timestamp).toMatch(/Z$/);
  });

  it('counts clients on both replicas in the stats', async () => {
    const room = `stats-${suffix}`;
    await Promise.all([0, 1, 1].map(async (i, n) => (await connect(gws[i], `/ws/${room}?user_id=s${n}`)).next('user_list')));
    const stats = await until('the stats to count the 3 clients', 10_000, async () => {
      const got = await call('GET', '/api/v1/ws/stats');
      return got.body.data.total_clients === 3 ? got : undefined;
    });
    expect(stats.body.data.total_clients).toBe(3);
    expect(stats.body.data.channels[room]).toBe(3);
    expect(stats.body.data.replicas).toBe(2);
    const members = await call('GET', `/api/v1/rooms/${room}/clients`, undefined, bearer(tokens.ann));
    expect(members.body.data.count).toBe(3);
  });

  it('publishes server-side to the right clients only, across replicas', async () => {
    const room = `news-${suffix}`;
    const reader = await connect(gws[0], `/ws/${room}?user_id=reader-${suffix}`);
    await reader.next('user_list');
    const bystander = await connect(gws[1], `/ws?user_id=by-${suffix}`);
    const bob = await connect(gws[1], `/ws/auth?token=${tokens.bob}`);
    expect((await call('POST', `/api/v1/rooms/${room}/broadcast`, { data: 'room news' }, bearer(tokens.ops))).status).toBe(202);
    expect(await reader.next('room_message')).toMatchObject({ data: 'room news' });
    expect((await call('POST', `/api/v1/users/${ids.bob}/messages`, { content: 'for bob' }, bearer(tokens.ops))).status).toBe(202);
    expect(await bob.next('private_message')).toMatchObject({ content: 'for bob' });
    await bystander.none((f) => f.type === 'room_message' || f.type === 'private_message', 300);
    expect((await call('POST', '/broadcast', { data: 'everyone' }, bearer(tokens.ann))).status).toBe(403);
    expect((await call('POST', '/broadcast', { data: 'everyone' }, bearer(tokens.ops))).status).toBe(202);
    for (const c of [reader, bystander, bob]) expect(await c.next('notification')).toMatchObject({ data: 'everyone' });
  });

  it('loses no lifecycle event when Redis is down during a POST: the outbox publishes it once Redis is back', async () => {
    const channel = `outbox-${suffix}`;
    const member = await connect(gws[1], `/api/v1/ws?channel_id=${channel}&token=${tokens.bob}`);
    await member.next('channel_joined');

    await redis.stop();
    const created = await call('POST', '/api/v1/messages', { channel_id: channel, content: 'written while the bus is down' }, bearer(tokens.ann));
    expect(created.status).toBe(201);
    await until('the api to report not ready while Redis is down', 15_000, async () => (await fetch(`${api.http}/health/ready`)).status === 503);
    await redis.start();
    const live = await member.next('new_message', 20000);
    expect(live).toMatchObject({ channel_id: channel, data: { id: created.body.data.id, content: 'written while the bus is down' } });
    await member.none('new_message', 500);
    await until('the api to report ready once Redis is back', 15_000, async () => (await fetch(`${api.http}/health/ready`)).status === 200);
  }, 40000);
});
