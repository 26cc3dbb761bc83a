import { randomBytes } from 'node:crypto';
import { type AppProcess, RedisServer, rest, signToken, SseRefused, SseTestClient, startAppProcess, TestClient, until, upgradeStatus } from '@switchboard/testing';

const SECRET = 'connection-caps-secret-0123456789abcdef';

/**
 * Issue 20, finding 7: connection caps per client IP (per replica) and per user (across the
 * cluster), and every handshake counted against every cap before anything is awaited — many
 * API-key handshakes at once never pass the replica's cap while their keys are looked up.
 * Real processes: the api and gateways on one Redis, real `ws` and SSE clients from two
 * loopback addresses.
 */
describe('connection caps: api + gateways on Redis', () => {
  let redis: RedisServer;
  const procs: AppProcess[] = [];
  /** Two replicas with a per-IP cap of 3 and a per-user cap of 2. */
  let capped: AppProcess[];
  /** A replica of 5 connections, no other cap. */
  let small: AppProcess;
  let apiKey: string;
  const clients: Array<{ close(): Promise<unknown> }> = [];
  const suffix = randomBytes(4).toString('hex');

  beforeAll(async () => {
    redis = await RedisServer.start();
    const env = { BUS: 'redis', REDIS_URL: redis.url, JWT_SECRET: SECRET, WEBSOCKET_CONNECT_BURST: '1000', WEBSOCKET_HEARTBEAT_INTERVAL: '250ms', WEBSOCKET_CONNECTION_TIMEOUT: '2s' };
    const caps = { WEBSOCKET_MAX_CONNECTIONS_PER_IP: '3', WEBSOCKET_MAX_CONNECTIONS_PER_USER: '2' };
    procs.push(
      ...(await Promise.all([
        startAppProcess('api', { ...env, DATA_DIR: 'memory://' }),
        startAppProcess('gateway', { ...env, ...caps }),
        startAppProcess('gateway', { ...env, ...caps }),
        startAppProcess('gateway', { ...env, WEBSOCKET_MAX_CONNECTIONS: '5' }),
      ])),
    );
    capped = [procs[1], procs[2]];
    small = procs[3];
    const reg = await rest(procs[0].http)('POST', '/auth/register', { username: `keyed-${suffix}`, password: 'secret123' });
    expect(reg.status).toBe(201);
    apiKey = reg.body.api_key;
  }, 90000);
  // Each test's connections close after it: their places under the caps are given back.
  afterEach(() => Promise.all(clients.splice(0).map((c) => c.close())));
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop('SIGKILL')));
    await redis?.destroy();
  });

  const ws = async (gw: AppProcess, path: string, localAddress = '127.0.0.1') => {
    const c = await TestClient.connect(`${gw.url}${path}`, { localAddress });
    clients.push(c);
    return c;
  };
  const token = (user: string) => signToken({ sub: `${user}-${suffix}`, username: user }, SECRET);

  it('caps connections per client IP, WebSocket and SSE together; another address still connects', async () => {
    const gw = capped[0];
    await ws(gw, '/ws?user_id=ip-a');
    await ws(gw, '/ws?user_id=ip-b');
    const sse = await SseTestClient.open(`${gw.http}/ws/lobby?user_id=ip-c`, { localAddress: '127.0.0.1' });
    clients.push(sse);

    const refused = await upgradeStatus(`${gw.url}/ws?user_id=ip-d`, { localAddress: '127.0.0.1' });
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.body).error).toMatch(/too many connections from this address/);
    await expect(SseTestClient.open(`${gw.http}/ws/lobby?user_id=ip-e`, { localAddress: '127.0.0.1' })).rejects.toMatchObject({ status: 429 });
    // Another address is another client; the other replica counts its own.
    await ws(gw, '/ws?user_id=ip-f', '127.0.0.2');
    await ws(capped[1], '/ws?user_id=ip-g');

    // A closed connection gives its place back.
    await sse.close();
    await until('a place freed on the per-IP cap', 5000, async () => (await upgradeStatus(`${gw.url}/ws?user_id=ip-h`, { localAddress: '127.0.0.1' })).status === 101);
  });

  it('caps one user\'s connections across both replicas; other users are not affected', async () => {
    await ws(capped[0], `/ws/auth?token=${token('ann')}`);
    const second = await ws(capped[1], `/ws/auth?token=${token('ann')}`, '127.0.0.2');
    for (const gw of capped) {
      const res = await upgradeStatus(`${gw.url}/ws/auth?token=${token('ann')}`, { localAddress: '127.0.0.3' });
      expect(res.status).toBe(429);
      expect(JSON.parse(res.body).error).toMatch(/too many connections of this user/);
    }
    await expect(SseTestClient.open(`${capped[1].http}/ws/lobby?token=${token('ann')}`, { localAddress: '127.0.0.3' })).rejects.toBeInstanceOf(SseRefused);
    await ws(capped[1], `/ws/auth?token=${token('bob')}`, '127.0.0.3');

    await second.close();
    await until('a place freed on the per-user cap', 5000, async () => (await upgradeStatus(`${capped[0].url}/ws/auth?token=${token('ann')}`, { localAddress: '127.0.0.3' })).status === 101);
  });

  it('never lets a user past the cap with many handshakes at once on both replicas', async () => {
    const user = token('racer');
    const tries = await Promise.allSettled(
      [...Array(12).keys()].map((i) => ws(capped[i % 2], `/ws/auth?token=${user}`, `127.0.0.${10 + (i % 6)}`)),
    );
    expect(tries.filter((t) => t.status === 'fulfilled')).toHaveLength(2);
    for (const t of tries) if (t.status === 'rejected') expect((t.reason as { status?: number }).status).toBe(429);
  });

  it('counts API-key handshakes against the replica cap before their keys are looked up: many at once, at most the cap open', async () => {
    const tries = await Promise.allSettled(
      [...Array(30).keys()].map((i) => ws(small, `/ws/auth?api_key=${encodeURIComponent(apiKey)}`, `127.0.0.${20 + (i % 10)}`)),
    );
    const opened = tries.filter((t) => t.status === 'fulfilled').length;
    expect(opened).toBeLessThanOrEqual(5);
    expect(opened).toBeGreaterThan(0);
    for (const t of tries) if (t.status === 'rejected') expect((t.reason as { status?: number }).status).toBe(503);
  });

  it('counts a user\'s open connections again after Redis restarted empty (each replica puts its own back)', async () => {
    const kept = [await ws(capped[0], `/ws/auth?token=${token('kept')}`), await ws(capped[1], `/ws/auth?token=${token('kept')}`)];
    await redis.restart();
    // Until the replicas have put their entries back a handshake may pass (it closes at once); then the cap holds again.
    const statuses: number[] = [];
    await until(
      'the user\'s connections counted again after the restart',
      20000,
      async () => statuses[statuses.push((await upgradeStatus(`${capped[0].url}/ws/auth?token=${token('kept')}`, { localAddress: '127.0.0.4' })).status) - 1] === 429,
      () => `(polls answered ${[...new Set(statuses)].join(', ')}; the kept connections' close codes: ${kept.map((c) => c.closeCode ?? 'open').join(', ')})`,
    );
    expect((await upgradeStatus(`${capped[1].url}/ws/auth?token=${token('kept')}`, { localAddress: '127.0.0.4' })).status).toBe(429);
  }, 40000);
});
