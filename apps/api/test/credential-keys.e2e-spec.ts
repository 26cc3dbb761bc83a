import Redis from 'ioredis';
import { type AppProcess, RedisServer, rest, startAppProcess, until, upgradeStatus } from '@switchboard/testing';

const SECRET = 'credential-keys-secret-0123456789abcdef';

/**
 * Registration while the credential directory refuses writes: the user is stored, so they must
 * get their key (201), and the gateways must accept it once Redis takes writes again — though
 * Redis kept its data and still says every key is in. Real api and gateway processes on a real
 * Redis made to refuse writes (`min-replicas-to-write` with no replica: NOREPLICAS).
 */
describe('an API key issued while Redis refuses writes', () => {
  let redis: RedisServer;
  let admin: Redis;
  let api: AppProcess;
  let gw: AppProcess;
  let call: ReturnType<typeof rest>;

  beforeAll(async () => {
    redis = await RedisServer.start();
    admin = new Redis(redis.url);
    const env = { BUS: 'redis', REDIS_URL: redis.url, JWT_SECRET: SECRET, WEBSOCKET_CONNECT_BURST: '1000' };
    [api, gw] = await Promise.all([startAppProcess('api', { ...env, DATA_DIR: 'memory://' }), startAppProcess('gateway', env)]);
    call = rest(api.http);
  }, 60000);
  afterAll(async () => {
    admin?.disconnect();
    await Promise.all([api, gw].map((p) => p?.stop('SIGKILL')));
    await redis?.destroy();
  });

  const gatewayStatus = async (key: string) => (await upgradeStatus(`${gw.url}/signaling?api_key=${encodeURIComponent(key)}`)).status;

  it('is answered with 201 and the key, works on the api at once, and on the gateways once Redis takes writes again', async () => {
    const before = await call('POST', '/auth/register', { username: 'early', password: 'secret123' });
    expect(before.status).toBe(201);
    expect(await gatewayStatus(before.body.api_key)).toBe(101);

    await admin.config('SET', 'min-replicas-to-write', '1');
    const reg = await call('POST', '/auth/register', { username: 'during', password: 'secret123' });
    expect(reg.status).toBe(201);
    expect(reg.body).toEqual({ user_id: expect.any(String), api_key: expect.stringMatching(/^sb_/) });
    const me = await call('GET', '/auth/me', undefined, { 'X-API-Key': reg.body.api_key });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ username: 'during', via: 'api_key' });
    expect(await gatewayStatus(reg.body.api_key)).toBe(401);
    expect(api.logs.some((l) => /new API key not published to the credential directory/.test(l) && /"level":"warn"/.test(l))).toBe(true);
    const metrics = await (await fetch(`${api.http}/metrics`)).text();
    expect(metrics).toMatch(/switchboard_errors_total\{kind="credential_key_publish"\} 1/);
    // Nothing was lost: Redis still says every key is in.
    expect(await admin.keys('*loaded*')).toHaveLength(1);

    await admin.config('SET', 'min-replicas-to-write', '0');
    await until('the gateway to accept the key written once Redis took writes again', 15_000, async () => (await gatewayStatus(reg.body.api_key)) === 101);
    expect(await gatewayStatus(before.body.api_key)).toBe(101);
  }, 30000);
});
