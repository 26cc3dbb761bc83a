import { type AppProcess, bearer, confirmation, RedisServer, rest, startAppProcess, TestClient, until } from '@switchboard/testing';

const SECRET = 'outbox-resume-secret-0123456789abcdef';

/**
 * The outbox no longer waits for gateways to listen: it publishes once the bus is back, and
 * the room's history covers the clients. Real api (embedded PGlite) and gateway processes on
 * a real Redis with AOF, so the history outlives the outage.
 */
describe('outbox publishes into the history while clients are away', () => {
  let redis: RedisServer;
  let api: AppProcess;
  let gw: AppProcess;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    redis = await RedisServer.start(['--appendonly', 'yes', '--appendfsync', 'always']);
    const env = { BUS: 'redis', REDIS_URL: redis.url, JWT_SECRET: SECRET, WEBSOCKET_HEARTBEAT_INTERVAL: '250ms', WEBSOCKET_CONNECTION_TIMEOUT: '2s' };
    [api, gw] = await Promise.all([startAppProcess('api', { ...env, DATA_DIR: 'memory://' }), startAppProcess('gateway', env)]);
  }, 60000);
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all([api, gw].map((p) => p?.stop('SIGKILL')));
    await redis.destroy();
  });

  it('events written while the bus is down reach clients that resume afterwards, by recovery, in order', async () => {
    const call = rest(api.http);
    const reg = await call('POST', '/auth/register', { username: 'ann', password: 'secret123', email: 'ann@example.com' });
    expect(reg.status).toBe(201);
    const token = (await call('POST', '/auth/login', { username: 'ann', password: 'secret123' })).body.access_token as string;
    const channel = 'outbox-resume';
    const connect = async (query: string) => {
      const c = await TestClient.connect(`${gw.url}/api/v1/ws?channel_id=${channel}&token=${token}${query}`);
      clients.push(c);
      return c;
    };

    const stays = await connect('');
    await stays.next(confirmation);
    const leaves = await connect('');
    const joined = await leaves.next(confirmation);
    const at = { offset: joined.offset as number, epoch: joined.epoch as string };
    await leaves.close();

    await redis.stop();
    const ids: string[] = [];
    for (const content of ['one', 'two', 'three']) {
      const created = await call('POST', '/api/v1/messages', { channel_id: channel, content }, bearer(token));
      expect(created.status).toBe(201);
      ids.push(created.body.data.id as string);
    }
    await until('the gateway to report not ready while Redis is down', 15_000, async () => (await fetch(`${gw.http}/health/ready`)).status === 503);
    await redis.start();

    // The one who stayed connected gets them once its gateway resumed the room. They begin
    // the room's history: their epoch names it (the empty room's position named none).
    const got = [];
    for (const id of ids) got.push(await stays.next('new_message', 20000));
    expect(got.map((f) => (f.data as { id: string }).id)).toEqual(ids);
    const epoch = got[0].epoch as string;
    expect(got.map((f) => f.epoch)).toEqual([epoch, epoch, epoch]);
    await stays.none('new_message', 300);

    const back = await connect(`&since=${at.offset}&epoch=${at.epoch}`);
    expect(await back.next(confirmation)).toMatchObject({ recovered: true, epoch, offset: at.offset + 3 });
    const replayed = [await back.next('new_message'), await back.next('new_message'), await back.next('new_message')];
    expect(replayed.map((f) => [(f.data as { id: string }).id, f.offset])).toEqual(ids.map((id, i) => [id, at.offset + 1 + i]));
    await back.none('new_message', 300);
    expect(api.logs.filter((l) => /"level":"error"|ERROR/.test(l) && /outbox/i.test(l))).toEqual([]);
  }, 60000);
});
