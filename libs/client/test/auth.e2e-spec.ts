import { type AppProcess, startAppProcess } from '@switchboard/testing';
import { login, me, newpassword, regenerate, register, SignalingClient, SwitchboardHttpError } from '../src/node';
import { TEST_SECRET } from './cluster';

/** The auth helpers against the real api (standalone process, PGlite in memory). */
describe('auth helpers', () => {
  let server: AppProcess;

  beforeAll(async () => {
    server = await startAppProcess('standalone', { JWT_SECRET: TEST_SECRET, DATA_DIR: 'memory://' });
  }, 60000);
  afterAll(async () => {
    await server.stop('SIGKILL');
  });

  it('register, login, me by key and by token, regenerate, newpassword', async () => {
    const base = server.http;
    const { user_id, api_key } = await register(base, { username: 'peer-user', password: 'secret123' });
    expect(api_key.length).toBeGreaterThan(20);
    expect(await me(base, { apiKey: api_key })).toMatchObject({ user_id, username: 'peer-user' });
    const { access_token } = await login(base, { username: 'peer-user', password: 'secret123' });
    expect(await me(base, { token: access_token })).toMatchObject({ user_id, username: 'peer-user' });

    const { api_key: fresh } = await regenerate(base, { apiKey: api_key });
    expect(fresh).not.toBe(api_key);
    await expect(me(base, { apiKey: api_key })).rejects.toMatchObject({ status: 401 });
    expect(await me(base, { apiKey: fresh })).toMatchObject({ user_id });

    expect(await newpassword(base, { apiKey: fresh }, { oldPassword: 'secret123', newPassword: 'better456' })).toEqual({ success: true });
    // A refusal is a SwitchboardHttpError carrying the api's own reason and code.
    const refused = await login(base, { username: 'peer-user', password: 'secret123' }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(SwitchboardHttpError);
    expect(refused).toMatchObject({ status: 401, code: 'unauthorized', message: 'wrong username or password', method: 'POST', path: '/auth/login' });
    const taken = await register(base, { username: 'peer-user', password: 'secret123' }).catch((err: unknown) => err);
    expect(taken).toMatchObject({ name: 'SwitchboardHttpError', status: 409, code: 'conflict', message: 'username "peer-user" is taken' });

    // The API key opens /signaling (seed 004's credential), as does a token from login;
    // a replaced key and a token from before the password change do not.
    const byKey = await SignalingClient.connect(`${server.url}/signaling`, { apiKey: fresh });
    expect(byKey.clientId).toBeGreaterThan(0);
    byKey.close();
    const { access_token: current } = await login(base, { username: 'peer-user', password: 'better456' });
    const byToken = await SignalingClient.connect(`${server.url}/signaling`, { token: current });
    expect(byToken.clientId).not.toBe(byKey.clientId);
    byToken.close();
    await expect(SignalingClient.connect(`${server.url}/signaling`, { apiKey: api_key })).rejects.toThrow(/closed before welcome/);
    await expect(SignalingClient.connect(`${server.url}/signaling`, { token: access_token })).rejects.toThrow(/closed before welcome/);
  }, 60000);
});
