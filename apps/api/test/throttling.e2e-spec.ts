import { type AppProcess, RedisServer, rest, startAppProcess } from '@switchboard/testing';
import { type Standalone, startStandalone } from './support/standalone';

type Call = ReturnType<typeof rest>;
const login = (call: Call, username: string, ip?: string) =>
  call('POST', '/auth/login', { username, password: 'wrong-password-1' }, ip ? { 'X-Forwarded-For': ip } : {});

/** Retry-After is a whole number of seconds within the one-minute window. */
function expectThrottled(res: { status: number; body: any }, retryAfter: string | null) {
  expect(res.status).toBe(429);
  expect(res.body).toEqual({ success: false, error: { status: 429, code: 'too_many_requests', message: expect.stringMatching(/too many attempts; retry in \d+ s/) } });
  expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  expect(Number(retryAfter)).toBeLessThanOrEqual(60);
}

const PASSWORD = 'a fine passphrase';

/** fetch, keeping the Retry-After header. */
async function loginAs(http: string, username: string, password: string, ip?: string) {
  const res = await fetch(`${http}/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(ip ? { 'X-Forwarded-For': ip } : {}) },
    body: JSON.stringify({ username, password }),
  });
  return { status: res.status, body: await res.json(), retryAfter: res.headers.get('retry-after') };
}

const loginRaw = (http: string, username: string, ip?: string) => loginAs(http, username, 'wrong-password-1', ip);

describe('auth throttling, standalone (memory)', () => {
  let sa: Standalone;
  let call: Call;
  beforeAll(async () => {
    sa = await startStandalone({ AUTH_RATE_LIMIT_PER_IP: '5', AUTH_RATE_LIMIT_PER_USERNAME: '5', AUTH_RATE_WINDOW: '1m', TRUST_PROXY: 'true' });
    call = rest(sa.http);
  }, 30000);
  afterAll(async () => {
    await sa.app.close();
  });

  it('answers the 6th failed login from one IP in a minute with 429 and Retry-After, whatever the usernames', async () => {
    for (let i = 1; i <= 5; i++) expect((await login(call, `someone${i}`, '203.0.113.7')).status).toBe(401);
    const sixth = await loginRaw(sa.http, 'someone6', '203.0.113.7');
    expectThrottled(sixth, sixth.retryAfter);
    // Another IP is not affected.
    expect((await login(call, 'someone6', '203.0.113.8')).status).toBe(401);
  });

  it('answers the 6th failed login for one username from several IPs with 429', async () => {
    for (let i = 1; i <= 5; i++) expect((await login(call, 'target', `198.51.100.${i}`)).status).toBe(401);
    const sixth = await loginRaw(sa.http, 'TARGET', '198.51.100.99');
    expectThrottled(sixth, sixth.retryAfter);
    // Another username from the same fresh IP still gets an answer.
    expect((await login(call, 'bystander', '198.51.100.99')).status).toBe(401);
  });

  it('never refuses successful logins for one username: only failures count against it', async () => {
    expect((await call('POST', '/auth/register', { username: 'frequent', password: PASSWORD }, { 'X-Forwarded-For': '192.0.2.60' })).status).toBe(201);
    // One IP per attempt: the per-IP limit (5) counts every attempt.
    for (let i = 1; i <= 7; i++) expect((await loginAs(sa.http, 'frequent', PASSWORD, `192.0.2.${100 + i}`)).status).toBe(200);
    for (let i = 1; i <= 4; i++) expect((await login(call, 'frequent', `192.0.2.${110 + i}`)).status).toBe(401);
    expect((await loginAs(sa.http, 'frequent', PASSWORD, '192.0.2.120')).status).toBe(200);
  });

  it('refuses the attempt after 5 failures for one username, even with the right password', async () => {
    expect((await call('POST', '/auth/register', { username: 'guessed', password: PASSWORD }, { 'X-Forwarded-For': '192.0.2.61' })).status).toBe(201);
    for (let i = 1; i <= 5; i++) expect((await login(call, 'guessed', `192.0.2.${130 + i}`)).status).toBe(401);
    const sixth = await loginAs(sa.http, 'Guessed', PASSWORD, '192.0.2.140');
    expectThrottled(sixth, sixth.retryAfter);
  });

  it('checks no more than 5 passwords for one username when attempts arrive all at once', async () => {
    expect((await call('POST', '/auth/register', { username: 'stormed', password: PASSWORD }, { 'X-Forwarded-For': '192.0.2.62' })).status).toBe(201);
    // 20 guesses in flight together, each from its own IP (the per-IP limit is not what stops them).
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => loginRaw(sa.http, 'stormed', `192.0.2.${150 + i}`)));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(15);
    for (const a of answers.filter((x) => x.status === 429)) expectThrottled(a, a.retryAfter);
    // The username is locked now: the right password is refused too.
    expect((await loginAs(sa.http, 'stormed', PASSWORD, '192.0.2.200')).status).toBe(429);
  });

  it('limits registrations from one IP', async () => {
    for (let i = 1; i <= 5; i++) {
      expect((await call('POST', '/auth/register', { username: `reg${i}`, password: PASSWORD }, { 'X-Forwarded-For': '192.0.2.50' })).status).toBe(201);
    }
    const res = await fetch(`${sa.http}/auth/register`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': '192.0.2.50' },
      body: JSON.stringify({ username: 'reg6', password: PASSWORD }),
    });
    expectThrottled({ status: res.status, body: await res.json() }, res.headers.get('retry-after'));
  });
});

/** Needs `npm run build`: two api processes counting in one real Redis. */
describe('auth throttling across two api processes sharing Redis', () => {
  let redis: RedisServer;
  let apis: AppProcess[] = [];
  beforeAll(async () => {
    redis = await RedisServer.start();
    const env = { BUS: 'redis', REDIS_URL: redis.url, JWT_SECRET: 'throttle-test-secret-0123456789', DATA_DIR: 'memory://', AUTH_RATE_LIMIT_PER_IP: '100', AUTH_RATE_LIMIT_PER_USERNAME: '5' };
    apis = await Promise.all([startAppProcess('api', env), startAppProcess('api', env)]);
  }, 60000);
  afterAll(async () => {
    await Promise.all(apis.map((a) => a.stop()));
    await redis?.destroy();
  });

  it('counts one username on both: the 6th failed login, on either process, is 429', async () => {
    const [a, b] = apis;
    for (const api of [a, b, a, b, a]) expect((await loginRaw(api.http, 'shared-target')).status).toBe(401);
    const sixth = await loginRaw(b.http, 'shared-target');
    expectThrottled(sixth, sixth.retryAfter);
    expect((await loginRaw(a.http, 'shared-target')).status).toBe(429);
    expect((await loginRaw(a.http, 'someone-else')).status).toBe(401);
  });

  it('checks no more than 5 passwords for one username when attempts arrive at both processes at once', async () => {
    const [a, b] = apis;
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => loginRaw((i % 2 === 0 ? a : b).http, 'stormed-shared')));
    const checked = answers.filter((x) => x.status === 401).length;
    // Each process lets one attempt per username at a time past the shared lock: at most one
    // more than the limit can be in flight across the two when the 5th failure locks it.
    expect(checked).toBeGreaterThanOrEqual(5);
    expect(checked).toBeLessThanOrEqual(6);
    expect(answers.filter((x) => x.status === 429)).toHaveLength(20 - checked);
    expect((await loginRaw(a.http, 'stormed-shared')).status).toBe(429);
  });

  it('counts only failures per username on both: successes pass, the right password after 5 failures is 429', async () => {
    const [a, b] = apis;
    // Each process has its own in-memory database: the same account on both; the counters are Redis's.
    for (const api of [a, b]) expect((await rest(api.http)('POST', '/auth/register', { username: 'shared-user', password: PASSWORD })).status).toBe(201);
    for (const api of [a, b, a, b, a, b, a]) expect((await loginAs(api.http, 'shared-user', PASSWORD)).status).toBe(200);
    for (const api of [b, a, b, a, b]) expect((await loginRaw(api.http, 'shared-user')).status).toBe(401);
    const sixth = await loginAs(a.http, 'shared-user', PASSWORD);
    expectThrottled(sixth, sixth.retryAfter);
    expect((await loginAs(b.http, 'shared-user', PASSWORD)).status).toBe(429);
  });
});
