import { randomBytes } from 'node:crypto';
import { type AppProcess, signToken, sleep, TestClient, until, upgradeStatus } from '@switchboard/testing';
import { type Edge, startEdge } from './testing/edge';
import { TEST_SECRETS } from './testing/env';
import { httpsRequest } from './testing/tls';

/** `p`, or `fallback` after `ms` (the timer is cleared either way). */
function bounded<T, F>(p: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<F>((resolve) => (timer = setTimeout(() => resolve(fallback), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/**
 * The compose edge as real processes: the committed deploy/nginx/nginx.conf and
 * switchboard-routes.conf in a real nginx (only its addresses rewritten to loopback ports),
 * TLS with a certificate made by openssl, in front of three gateway processes and the api
 * started with docker-compose.yml's own environment, on a real redis-server.
 * Needs `nginx` and `openssl` installed and `npm run build` done.
 */
describe('edge: nginx (TLS) → 3 gateways + api, as docker-compose runs them', () => {
  let edge: Edge | undefined;
  let ca: Buffer;
  let api: AppProcess | undefined;
  let gws: AppProcess[] = [];
  let https = 0;
  let http = 0;
  const clients: TestClient[] = [];
  const suffix = randomBytes(3).toString('hex');

  const wss = (path: string) => `wss://127.0.0.1:${https}${path}`;
  /** compose runs with WEBSOCKET_REQUIRE_AUTH=true: a client named by `?user_id=` gets a JWT for that user (by header, so none is logged). */
  const connect = async (path: string, options: { headers?: Record<string, string> } = {}) => {
    const user = new URL(path, 'https://x').searchParams.get('user_id');
    const auth: Record<string, string> = user === null ? {} : { Authorization: `Bearer ${signToken({ sub: user, username: user }, TEST_SECRETS.JWT_SECRET)}` };
    const c = await TestClient.connect(wss(path), { ca, ...options, headers: { ...auth, ...options.headers } });
    clients.push(c);
    return c;
  };
  const call = (method: string, path: string, body?: unknown, token?: string) =>
    httpsRequest(`https://127.0.0.1:${https}${path}`, ca, { method, body, headers: token ? { Authorization: `Bearer ${token}` } : {} });
  /** Open WebSocket connections on one gateway, from its own /metrics (scraped directly, not through the edge). */
  const connectionsOn = async (gw: AppProcess) => {
    const text = await (await fetch(`${gw.http}/metrics`)).text();
    return [...text.matchAll(/^switchboard_connections\{[^}]*\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
  };

  beforeAll(async () => {
    edge = await startEdge({ api: true });
    ({ ca, https, http, api } = edge);
    gws = edge.gws;
  }, 60_000);

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => bounded(c.close(), 2000, undefined)));
  });

  afterAll(async () => {
    await edge?.stop();
  }, 20_000);

  it('speaks WSS with the certificate; three clients land on three gateways (least_conn) and chat across them', async () => {
    const room = `lobby-${suffix}`;
    const names = ['ann', 'bob', 'cyd'];
    const members: TestClient[] = [];
    for (const name of names) {
      const c = await connect(`/ws/${room}?user_id=${name}-${suffix}`);
      await c.next('user_list');
      members.push(c);
    }
    const counts = await Promise.all(gws.map(connectionsOn));
    expect(counts).toEqual([1, 1, 1]);
    const last = await members[2].ask({ type: 'user_list', room }, 'user_list');
    expect((last.data as string[]).sort()).toEqual(names.map((n) => `${n}-${suffix}`).sort());

    members[0].send({ type: 'message', room, content: 'hello through nginx' });
    for (const c of members) {
      expect(await c.next('message')).toMatchObject({ room, content: 'hello through nginx', username: `ann-${suffix}` });
    }
    members[2].send({ type: 'private_message', user_id: `bob-${suffix}`, content: 'psst' });
    expect(await members[1].next('private_message')).toMatchObject({ content: 'psst' });
  });

  it('refuses an untrusted certificate and plain ws:// on the TLS port', async () => {
    await expect(TestClient.connect(wss('/ws'))).rejects.toThrow(/self[- ]signed|certificate/i);
    await expect(TestClient.connect(`ws://127.0.0.1:${https}/ws`)).rejects.toThrow(/400|socket hang up|ECONNRESET/);
  });

  it('REST through the edge: register, login, POST /api/v1/messages reaches a channels client on a gateway', async () => {
    const username = `eve-${suffix}`;
    const reg = await call('POST', '/auth/register', { username, password: 'secret123', email: `${username}@example.com` });
    expect(reg.status).toBe(201);
    const login = await call('POST', '/auth/login', { username, password: 'secret123' });
    expect(login.status).toBe(200);
    const token = login.json.access_token as string;
    expect((await call('GET', '/auth/me', undefined, token)).json).toMatchObject({ username });

    const channel = `general-${suffix}`;
    const member = await connect(`/api/v1/ws?channel_id=${channel}&token=${token}`);
    expect(await member.next('channel_joined')).toMatchObject({ channel_id: channel, user_email: `${username}@example.com` });
    const created = await call('POST', '/api/v1/messages', { channel_id: channel, content: 'via the edge' }, token);
    expect(created.status).toBe(201);
    expect(await member.next('new_message', 5000)).toMatchObject({ channel_id: channel, data: { id: created.json.data.id, content: 'via the edge' } });

    // /api/v1/ws/stats shares its prefix with the WebSocket path but is REST: the api answers
    // (compose closes it to callers without a credential).
    expect((await call('GET', '/api/v1/ws/stats')).status).toBe(401);
    const stats = await call('GET', '/api/v1/ws/stats', undefined, token);
    expect(stats.status).toBe(200);
    expect(stats.json).toMatchObject({ success: true, data: { total_clients: expect.any(Number) } });
    expect(stats.json.data.channels[channel]).toBe(1);
    const page = await call('GET', '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
  });

  it('logs paths without the credentials in their query strings (nginx access log)', async () => {
    const username = `log-${suffix}`;
    const reg = await call('POST', '/auth/register', { username, password: 'secret123' });
    expect(reg.status).toBe(201);
    const apiKey = reg.json.api_key as string;
    const token = signToken({ sub: `log-${suffix}`, username }, TEST_SECRETS.JWT_SECRET);
    const start = edge!.accessLog().length;
    const ws = await connect(`/ws/auth/logged-${suffix}?token=${token}`);
    await ws.next('user_list');
    await ws.close(); // nginx logs a WebSocket request when it ends
    expect((await call('GET', `/auth/me?api_key=${apiKey}&marker=a-${suffix}`)).status).toBe(200);
    expect((await call('GET', `/auth/me?api%5Fkey=${apiKey}&marker=b-${suffix}`)).status).toBe(200);
    expect((await call('GET', `/nothing-${suffix}?token=${token}`)).status).toBe(404);
    const logged = () => edge!.accessLog().slice(start);
    const has404 = (lines: string[]) => lines.some((l) => l.includes(`"GET /nothing-${suffix} HTTP/1.1" 404 `));
    const hasWs = (lines: string[]) => lines.some((l) => l.includes(`"GET /ws/auth/logged-${suffix} HTTP/1.1" 101 `));
    // Lines of other tests' connections may come in between: wait for these four by what they say.
    await until('the four requests in the access log', 10_000, () => has404(logged()) && hasWs(logged()) && logged().filter((l) => l.includes('"GET /auth/me HTTP/1.1" 200 ')).length >= 2, () => logged().join('\n'));
    const lines = logged();
    for (const secret of [token, token.split('.')[2], apiKey]) expect(lines.join('\n')).not.toContain(secret);
    expect(lines.some((l) => l.includes(`"GET /ws/auth/logged-${suffix} HTTP/1.1" 101 `))).toBe(true);
    expect(lines.filter((l) => l.includes('"GET /auth/me HTTP/1.1" 200 '))).toHaveLength(2);
    expect(lines.some((l) => l.includes(`"GET /nothing-${suffix} HTTP/1.1" 404 `))).toBe(true);
  });

  it('refuses guests (401) and pages of other sites (403), as compose configures the gateways', async () => {
    expect((await upgradeStatus(wss('/ws/lobby?user_id=guest'), { ca })).status).toBe(401);
    const token = signToken({ sub: `origin-${suffix}` }, TEST_SECRETS.JWT_SECRET);
    expect((await upgradeStatus(wss(`/ws/auth?token=${token}`), { ca, headers: { Origin: 'https://evil.example.com' } })).status).toBe(403);
    expect((await upgradeStatus(wss(`/ws/auth?token=${token}`), { ca, headers: { Origin: 'https://localhost' } })).status).toBe(101);
  });

  it('does not publish /metrics or /health, and redirects plain HTTP to HTTPS', async () => {
    for (const path of ['/metrics', '/health/ready', '/health/live']) expect((await call('GET', path)).status).toBe(404);
    const res = await fetch(`http://127.0.0.1:${http}/ws/lobby?user_id=x`, { redirect: 'manual' });
    expect(res.status).toBe(301);
    expect(res.headers.get('location')).toBe(`https://127.0.0.1/ws/lobby?user_id=x`);
  });

  it('a draining gateway: its clients get 1012 and reconnect through the edge; its 503s are retried on the others', async () => {
    const room = `drain-${suffix}`;
    expect(await Promise.all(gws.map(connectionsOn))).toEqual([0, 0, 0]);
    const held: TestClient[] = [];
    for (let i = 0; i < 12; i++) {
      const c = await connect(`/ws/${room}?user_id=d${i}-${suffix}`);
      await c.next('user_list');
      held.push(c);
    }
    expect(await Promise.all(gws.map(connectionsOn))).toEqual([4, 4, 4]);
    const [victim, ...others] = gws;
    const exited = victim.stop('SIGTERM');
    await until('the SIGTERMed gateway to answer readiness with 503', 10_000, async () => (await fetch(`${victim.http}/health/ready`)).status === 503);
    // Draining: it has fewest connections, so least_conn picks it, it answers 503 and nginx
    // retries the handshake on another replica. No client sees the refusal.
    const fresh: TestClient[] = [];
    for (let i = 0; i < 6; i++) {
      const c = await connect(`/ws/${room}-fresh?user_id=n${i}-${suffix}`);
      await c.next('user_list');
      fresh.push(c);
    }
    const closed = () => held.filter((c) => c.closeCode !== undefined);
    await until('the draining gateway to close its 4 clients', 15_000, () => closed().length >= 4, () => `(closed: ${closed().length})`);
    expect(held.map((c) => c.closeCode).filter((code) => code !== undefined)).toEqual([1012, 1012, 1012, 1012]);
    expect(await bounded(exited, 8000, 'still running')).toBe(0);
    // nginx logs a WebSocket request when it ends: close the new clients, then read the log.
    await Promise.all(fresh.map((c) => c.close()));
    const logged = () => edge!.accessLog().filter((l) => l.includes(`/ws/${room}-fresh `));
    await until('the fresh clients in the access log', 3000, () => logged().length >= fresh.length);
    const lines = logged();
    expect(lines).toHaveLength(fresh.length);
    expect(lines.filter((l) => /" 101 /.test(l))).toHaveLength(fresh.length);
    expect(lines.filter((l) => /upstream_status=503, 101\b/.test(l)).length).toBeGreaterThanOrEqual(1);
    // The dropped clients reconnect through the same address and land on live replicas.
    for (const [i, c] of held.entries()) {
      if (c.closeCode !== 1012) continue;
      const back = await connect(`/ws/${room}?user_id=d${i}-${suffix}`);
      await back.next('user_list');
    }
    const counts = await Promise.all(others.map(connectionsOn));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(12);
  }, 30_000);
});
