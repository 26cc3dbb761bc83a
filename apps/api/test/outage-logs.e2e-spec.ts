import { type AppProcess, bearer, RedisServer, rest, startAppProcess, until } from '@switchboard/testing';

const SECRET = 'outage-logs-secret-0123456789abcdef';
const entries = (logs: string[]) => logs.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);

/** A real api process on a real Redis that goes away: what its log says meanwhile. */
describe('api logs during a bus outage', () => {
  let redis: RedisServer;
  let api: AppProcess;
  let call: ReturnType<typeof rest>;
  let token: string;

  beforeAll(async () => {
    redis = await RedisServer.start();
    api = await startAppProcess('api', { BUS: 'redis', REDIS_URL: redis.url, JWT_SECRET: SECRET, DATA_DIR: 'memory://', SERVICE_USERS: 'ops' });
    call = rest(api.http);
    expect((await call('POST', '/auth/register', { username: 'ops', password: 'secret123', email: 'ops@example.com' })).status).toBe(201);
    token = (await call('POST', '/auth/login', { username: 'ops', password: 'secret123' })).body.access_token;
  }, 60000);
  afterAll(async () => {
    await api?.stop('SIGKILL');
    await redis?.destroy();
  });

  /** Lines with `msg`: each failure is one, written or counted in a later line's `repeated`. */
  const lines = (msg: string) => entries(api.logs).filter((e) => e.msg === msg);
  const counted = (msg: string) => lines(msg).reduce((n, e) => n + (typeof e.repeated === 'number' ? e.repeated : 1), 0);

  it('writes repeated failed publishes and uncounted login attempts once, then one line per interval counting the rest', async () => {
    await redis.stop();
    await until('the api to report unready', 15_000, async () => (await fetch(`${api.http}/health/ready`)).status === 503);
    const sent = 12;
    for (let i = 0; i < sent; i++) expect((await call('POST', '/broadcast', { data: `b${i}` }, bearer(token))).status).toBe(503);
    // Logins still work while Redis cannot count them (fail open; each takes seconds then); every
    // uncounted attempt is logged, once per throttler that checks it.
    const logins = 3;
    for (let i = 0; i < logins; i++) expect((await call('POST', '/auth/login', { username: 'ops', password: 'wrong-one' })).status).toBe(401);

    const publish = 'server-side publish failed; answered 503';
    const throttle = 'could not count an auth attempt in Redis; letting it through';
    const keys = 'API keys not published to the credential directory; gateways may refuse older keys until it is';
    await until(`a line counting the ${sent} failed publishes`, 25_000, () => counted(publish) >= sent, () => JSON.stringify(lines(publish)));
    await until(`lines counting the uncounted logins`, 25_000, () => lines(throttle).some((e) => typeof e.repeated === 'number' && e.repeated > 0), () => JSON.stringify(lines(throttle)));
    // The key check every few seconds fails too: counted, not a line each time.
    await until('a line counting the failed key checks', 25_000, () => lines(keys).some((e) => typeof e.repeated === 'number' && e.repeated > 0), () => JSON.stringify(lines(keys)));
    // The first at once, then the count at the end of each 10 s interval (whatever the error said):
    // one line for each failure before.
    expect(lines(publish).length).toBeLessThan(sent / 2);
    expect(lines(publish).some((e) => typeof e.repeated === 'number' && e.repeated > 1)).toBe(true);
    expect(counted(throttle)).toBeGreaterThanOrEqual(logins);
    await redis.start();
  }, 120_000);
});
