import { type AppProcess, startAppProcess, TestClient, until } from '@switchboard/testing';

const SECRET = 'logging-test-secret-0123456789';
const parse = (logs: string[]) => logs.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, any>);
/** The request lines of this test's calls: not startAppProcess's polls of /health/live (at debug). */
const requestsOf = (logs: string[]) => parse(logs).filter((e) => e.msg === 'request completed' && !e.req.url.startsWith('/health/'));

/** Needs `npm run build`: the standalone server as its own process, logs read from its stdout and stderr. */
describe('logs (pino)', () => {
  let proc: AppProcess | undefined;
  afterEach(async () => {
    await proc?.stop();
    proc = undefined;
  });

  it('writes one JSON line per HTTP request with a request id, and none of the credentials it carried', async () => {
    proc = await startAppProcess('standalone', { LOG_LEVEL: 'debug', JWT_SECRET: SECRET, DATA_DIR: 'memory://' });
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${proc!.http}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const password = 'Pw-Redact-Me-8f3a91';
    const reg = await (await post('/auth/register', { username: 'logged', password })).json();
    const login = await post('/auth/login', { username: 'logged', password }, { 'X-Request-Id': 'req-from-client-1' });
    expect(login.headers.get('x-request-id')).toBe('req-from-client-1');
    const token: string = (await login.json()).access_token;
    await fetch(`${proc.http}/auth/me`, { headers: { Authorization: `Bearer ${token}`, 'X-API-Key': reg.api_key, Cookie: `token=${token}` } });
    await fetch(`${proc.http}/auth/me?api_key=${reg.api_key}&token=${token}`);
    // The names as the server decodes them: percent-encoded, or with brackets.
    await fetch(`${proc.http}/auth/me?api%5Fkey=${reg.api_key}&to%6Ben=${token}&api_key[]=${reg.api_key}`);
    // Before the password change, which revokes the token.
    const ws = await TestClient.connect(`${proc.url}/ws/auth/lobby?token=${token}`);
    await ws.next('user_list');
    await ws.close();
    await post('/auth/newpassword', { old_password: password, new_password: 'Pw-New-Redact-77ab' }, { Authorization: `Bearer ${token}` });
    await post('/auth/login', { username: 'logged', password, extra: password }); // a 400 that echoes nothing

    await until('seven request log lines', 5000, () => requestsOf(proc!.logs).length >= 7);
    const text = proc.logs.join('\n');
    for (const secret of [password, 'Pw-New-Redact-77ab', token, reg.api_key, token.split('.')[2]]) expect(text).not.toContain(secret);

    const requests = requestsOf(proc.logs);
    expect(requests.map((e) => `${e.req.method} ${e.req.url.split('?')[0]} ${e.res.status}`)).toEqual([
      'POST /auth/register 201',
      'POST /auth/login 200',
      'GET /auth/me 200',
      'GET /auth/me 200',
      'GET /auth/me 200',
      'POST /auth/newpassword 200',
      'POST /auth/login 400',
    ]);
    for (const e of requests) expect(e).toMatchObject({ level: 'info', app: 'standalone', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), req: { id: expect.any(String) } });
    expect(requests[1].req.id).toBe('req-from-client-1');
    expect(requests[3].req.url).toBe('/auth/me?api_key=[redacted]&token=[redacted]');
    expect(requests[4].req.url).toBe('/auth/me?api%5Fkey=[redacted]&to%6Ben=[redacted]&api_key[]=[redacted]');
  }, 30000);

  it('logs probes at debug only: a first start polled for readiness while its database opens writes no error and no request line', async () => {
    proc = await startAppProcess('standalone', { LOG_LEVEL: 'info', JWT_SECRET: SECRET, DATA_DIR: 'memory://' });
    const statuses: number[] = [];
    await until('the standalone server ready', 30_000, async () => {
      // A probe whose kept-alive connection the server closed meanwhile fails: not ready yet, as for a kubelet.
      const status = await fetch(`${proc!.http}/health/ready`).then((res) => res.status, () => 0);
      statuses.push(status);
      return status === 200;
    });
    for (let i = 0; i < 3; i++) await fetch(`${proc.http}/metrics`);
    await fetch(`${proc.http}/health/live`);
    await fetch(`${proc.http}/nothing-here`); // an ordinary request, logged at info: the line the probes did not get
    await until('the 404 logged', 5000, () => parse(proc!.logs).some((e) => e.msg === 'request completed'));
    expect(statuses).toContain(503); // it was polled while the database opened
    const entries = parse(proc.logs);
    expect(entries.filter((e) => e.level === 'error' || e.level === 'fatal' || 'stack' in e || 'err' in e)).toEqual([]);
    expect(entries.filter((e) => e.msg === 'request completed').map((e) => e.req.url)).toEqual(['/nothing-here']);
  }, 45000);

  it('honours LOG_LEVEL: at warn it prints no info or debug lines, not even the one saying where it listens', async () => {
    proc = await startAppProcess('standalone', { LOG_LEVEL: 'warn', JWT_SECRET: SECRET, DATA_DIR: 'memory://' });
    await fetch(`${proc.http}/auth/register`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"username":"quiet","password":"quiet-passphrase"}' });
    await fetch(`${proc.http}/health/ready`);
    await fetch(`${proc.http}/nothing-here`);
    await proc.stop();
    const entries = parse(proc.logs);
    expect(entries.filter((e) => /listening/.test(e.msg))).toEqual([]);
    expect(entries.filter((e) => e.level === 'info' || e.level === 'debug')).toEqual([]);
    expect(entries.every((e) => e.app === 'standalone')).toBe(true);
  }, 30000);
});
