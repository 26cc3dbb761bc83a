import { bearer, rest, TestClient, upgradeStatus } from '@switchboard/testing';
import { type Standalone, startStandalone } from './support/standalone';

describe('accounts: register, login, API keys, passwords', () => {
  let sa: Standalone;
  let call: ReturnType<typeof rest>;
  beforeAll(async () => {
    sa = await startStandalone({ SERVICE_USERS: 'ops' });
    call = rest(sa.http);
  }, 30000);
  afterAll(async () => {
    await sa.app.close();
  });

  it('registers a user (201 with user_id and api_key) and refuses duplicates in any case (409)', async () => {
    const ok = await call('POST', '/auth/register', { username: 'alice', password: 'secret123', email: 'alice@example.com' });
    expect(ok.status).toBe(201);
    expect(ok.body).toEqual({ user_id: expect.any(String), api_key: expect.stringMatching(/^sb_/) });
    const dup = await call('POST', '/auth/register', { username: 'ALICE', password: 'other1234' });
    expect(dup.status).toBe(409);
    expect(dup.body).toEqual({ success: false, error: { status: 409, code: 'conflict', message: 'username "ALICE" is taken' } });
  });

  it.each([
    [{ password: 'secret123' }, /"username" is required/],
    [{ username: 'bob' }, /"password" is required/],
    [{ username: '', password: 'secret123' }, /^"username" is required$/],
    [{ username: null, password: 'secret123' }, /^"username" is required$/],
    [{ username: 'bob', password: '' }, /^"password" is required$/],
    [{ username: 'bob', password: null }, /^"password" is required$/],
    [{ username: 'bob', password: 'short1' }, /at least 8 characters/],
    [{ username: 'bob', password: 'password' }, /"password" is too common/],
    [{ username: 'bob', password: '12345678' }, /"password" is too common/],
    [{ username: 'bob', password: 'Iloveyou1' }, /"password" is too common/],
    [{ username: 'bob', password: 'x'.repeat(129) }, /"password" must be at most 128 characters/],
    [{ username: 'b', password: 'secret123' }, /at least 3/],
    [{ username: 'bad name', password: 'secret123' }, /letters, digits/],
    [{ username: 'bob', password: 'secret123', email: 'not-an-email' }, /"email" must be an email/],
    [{ username: 42, password: 'secret123' }, /"username" must be a string/],
    [{ username: 'bob', password: 'secret123', email: 42 }, /"email" must be a string/],
    [{ username: ['bob'], password: 'secret123' }, /"username" must be a string/],
    [{ username: 'bob', password: { $gt: '' } }, /"password" must be a string/],
    [{ username: 'b'.repeat(50_000), password: 'secret123' }, /"username" must be at most 32 characters/],
    [{ username: 'bob', password: 'secret123', is_admin: true }, /unknown field "is_admin"/],
    [{ username: 'bob', password: 'secret123', role: 'admin', permissions: ['broadcast'] }, /unknown fields "role", "permissions"/],
    ['{not json', /not valid JSON/],
    ['[1,2]', /JSON object/],
  ])('answers 400 with a reason for %j', async (body, reason) => {
    const res = await call('POST', '/auth/register', body);
    expect(res.status).toBe(400);
    expect(res.body.success).toBe(false);
    expect(res.body.error.message).toMatch(reason);
  });

  it('takes an email that is "" or null as none given', async () => {
    for (const [username, email] of [
      ['noemail1', ''],
      ['noemail2', null],
    ] as const) {
      const reg = await call('POST', '/auth/register', { username, password: 'secret123', email });
      expect(reg.status).toBe(201);
      const me = await call('GET', '/auth/me', undefined, { 'X-API-Key': reg.body.api_key });
      expect(me.body).toMatchObject({ username, email: null });
    }
  });

  it('accepts a long passphrase without digits or capitals (NIST SP 800-63B: no composition rules)', async () => {
    const res = await call('POST', '/auth/register', { username: 'horse', password: 'correct horse battery staple' });
    expect(res.status).toBe(201);
    expect((await call('POST', '/auth/login', { username: 'horse', password: 'correct horse battery staple' })).status).toBe(200);
    expect((await call('POST', '/auth/register', { username: 'eight', password: 'ñandú-€8' })).status).toBe(201);
  });

  it.each([
    [{ username: 'carol' }, /"password" is required/],
    [{ username: '', password: 'secret123' }, /^"username" is required$/],
    [{ username: 'carol', password: null }, /^"password" is required$/],
    [{ username: 'carol', password: 12345678 }, /"password" must be a string/],
    [{ username: 'carol', password: 'p'.repeat(100_000) }, /at most 128 characters/],
    [{ username: 'carol', password: 'secret123', remember: true }, /unknown field "remember"/],
  ])('refuses a malformed login with 400 for %j', async (body, reason) => {
    const res = await call('POST', '/auth/login', body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ success: false, error: { status: 400, code: 'bad_request', message: expect.stringMatching(reason) } });
  });

  it('logs in with a JWT the gateway accepts, and refuses wrong passwords and unknown users alike', async () => {
    await call('POST', '/auth/register', { username: 'carol', password: 'secret123', email: 'carol@example.com' });
    const login = await call('POST', '/auth/login', { username: 'carol', password: 'secret123' });
    expect(login.status).toBe(200);
    expect(login.body).toMatchObject({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 3600 });
    const claims = JSON.parse(Buffer.from(login.body.access_token.split('.')[1], 'base64url').toString());
    expect(claims).toMatchObject({ sub: expect.any(String), username: 'carol', email: 'carol@example.com', exp: expect.any(Number) });

    const ws = await TestClient.connect(`${sa.url}/ws/auth/lobby?token=${login.body.access_token}`);
    expect(await ws.next('user_list')).toMatchObject({ data: ['carol'] });
    await ws.close();

    const wrong = await call('POST', '/auth/login', { username: 'carol', password: 'wrong1234' });
    const nobody = await call('POST', '/auth/login', { username: 'nobody', password: 'wrong1234' });
    expect(wrong.status).toBe(401);
    expect(nobody.status).toBe(401);
    expect(wrong.body.error.message).toBe(nobody.body.error.message);
  });

  it('answers /auth/me with a JWT or an API key, and 401 without', async () => {
    const reg = await call('POST', '/auth/register', { username: 'dave', password: 'secret123' });
    const { access_token } = (await call('POST', '/auth/login', { username: 'dave', password: 'secret123' })).body;
    const viaJwt = await call('GET', '/auth/me', undefined, bearer(access_token));
    expect(viaJwt.body).toMatchObject({ user_id: reg.body.user_id, username: 'dave', via: 'jwt' });
    const viaKey = await call('GET', '/auth/me', undefined, { 'X-API-Key': reg.body.api_key });
    expect(viaKey.body).toMatchObject({ user_id: reg.body.user_id, username: 'dave', via: 'api_key' });
    expect((await call('GET', `/auth/me?api_key=${reg.body.api_key}`)).status).toBe(200);
    expect((await call('GET', '/auth/me')).status).toBe(401);
    expect((await call('GET', '/auth/me', undefined, { 'X-API-Key': 'sb_nope' })).status).toBe(401);
    expect((await call('GET', '/auth/me', undefined, bearer('a.b.c'))).status).toBe(401);
  });

  it('regenerates the API key: the old one stops working at once', async () => {
    const reg = await call('POST', '/auth/register', { username: 'erin', password: 'secret123' });
    const old = reg.body.api_key;
    const fresh = await call('POST', '/auth/regenerate', undefined, { 'X-API-Key': old });
    expect(fresh.status).toBe(200);
    expect(fresh.body.api_key).toMatch(/^sb_/);
    expect(fresh.body.api_key).not.toBe(old);
    expect((await call('GET', '/auth/me', undefined, { 'X-API-Key': old })).status).toBe(401);
    expect((await call('GET', '/auth/me', undefined, { 'X-API-Key': fresh.body.api_key })).status).toBe(200);
    expect((await call('POST', '/auth/regenerate')).status).toBe(401);
  });

  it('changes the password only with the old one', async () => {
    await call('POST', '/auth/register', { username: 'fred', password: 'secret123' });
    const { access_token } = (await call('POST', '/auth/login', { username: 'fred', password: 'secret123' })).body;
    const wrongOld = await call('POST', '/auth/newpassword', { old_password: 'guess1234', new_password: 'newpass123' }, bearer(access_token));
    expect(wrongOld.status).toBe(401);
    const weak = await call('POST', '/auth/newpassword', { old_password: 'secret123', new_password: 'weak' }, bearer(access_token));
    expect(weak.status).toBe(400);
    const common = await call('POST', '/auth/newpassword', { old_password: 'secret123', new_password: 'football' }, bearer(access_token));
    expect(common.body.error.message).toMatch(/"new_password" is too common/);
    const ok = await call('POST', '/auth/newpassword', { old_password: 'secret123', new_password: 'newpass123' }, bearer(access_token));
    expect(ok.status).toBe(200);
    expect((await call('POST', '/auth/login', { username: 'fred', password: 'secret123' })).status).toBe(401);
    expect((await call('POST', '/auth/login', { username: 'fred', password: 'newpass123' })).status).toBe(200);
  });

  it('gives SERVICE_USERS the broadcast permission in their tokens', async () => {
    await call('POST', '/auth/register', { username: 'ops', password: 'secret123' });
    const { access_token } = (await call('POST', '/auth/login', { username: 'ops', password: 'secret123' })).body;
    expect((await call('GET', '/auth/me', undefined, bearer(access_token))).body.permissions).toEqual(['broadcast']);
    expect((await upgradeStatus(`${sa.url}/ws/auth?token=${access_token}`)).status).toBe(101);
  });
});
