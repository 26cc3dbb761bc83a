import { once } from 'node:events';
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { signToken, TEST_SECRET, TestClient, until, upgradeStatus } from '@switchboard/testing';
import { startTestGateway } from './support/gateway';

/** Every refusal is an HTTP answer before the upgrade; every accepted credential source works. */
describe('handshake', () => {
  describe('authentication on /ws/auth', () => {
    let gw: Awaited<ReturnType<typeof startTestGateway>>;
    beforeAll(async () => {
      gw = await startTestGateway({ WEBSOCKET_CONNECT_BURST: '1000' });
    });
    afterAll(async () => {
      await gw.app.close();
    });

    it('answers 401 with no token, a bad signature or an expired token', async () => {
      const none = await upgradeStatus(`${gw.url}/ws/auth`);
      expect(none.status).toBe(401);
      expect(JSON.parse(none.body).error).toMatch(/authentication required/);

      const forged = signToken({ sub: 'u1' }, 'some-other-secret-0123456789');
      const bad = await upgradeStatus(`${gw.url}/ws/auth/room1?token=${forged}`);
      expect(bad.status).toBe(401);
      expect(JSON.parse(bad.body).error).toBe('invalid token');

      const expired = signToken({ sub: 'u1' }, TEST_SECRET, -60);
      const old = await upgradeStatus(`${gw.url}/ws/auth`, { headers: { Authorization: `Bearer ${expired}` } });
      expect(old.status).toBe(401);
      expect(JSON.parse(old.body).error).toBe('token expired');

      const garbage = await upgradeStatus(`${gw.url}/ws/auth`, { headers: { Cookie: 'token=not.a.jwt' } });
      expect(garbage.status).toBe(401);
    });

    it('accepts a token from the Authorization header, the query or a cookie (101)', async () => {
      const token = signToken({ sub: 'u1', username: 'ann' });
      expect((await upgradeStatus(`${gw.url}/ws/auth`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(101);
      expect((await upgradeStatus(`${gw.url}/ws/auth?token=${token}`)).status).toBe(101);
      expect((await upgradeStatus(`${gw.url}/ws/auth/room1`, { headers: { Cookie: `theme=dark; token=${token}` } })).status).toBe(101);
    });

    it('joins /ws/auth/{room} as the token\'s user', async () => {
      const c = await TestClient.connect(`${gw.url}/ws/auth/lobby?token=${signToken({ sub: 'u9', name: 'Nina' })}`);
      expect(await c.next('user_list')).toMatchObject({ room: 'lobby', data: ['Nina'] });
      await c.close();
    });

    it('answers the upgrade in the same write as the room\'s user_list: the 101 waits for the join', async () => {
      const { hostname, port } = new URL(gw.url);
      const socket = connect(Number(port), hostname);
      const token = signToken({ sub: 'u10', name: 'Olga' });
      socket.write(
        `GET /ws/auth/one-write?token=${token} HTTP/1.1\r\nHost: ${hostname}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
      // One write arrives in one read on loopback; two writes a Redis round trip apart arrive in two.
      const first = (await once(socket, 'data'))[0] as Buffer;
      socket.destroy();
      const text = first.toString('latin1');
      expect(text).toMatch(/^HTTP\/1\.1 101 /);
      expect(text).toContain('"user_list"');
      expect(text).toContain('"Olga"');
    });

    it('refuses a path room the token does not allow (403), and allows a matching pattern', async () => {
      const token = signToken({ sub: 'u2', rooms: ['team-*', 'lobby'] });
      expect((await upgradeStatus(`${gw.url}/ws/auth/secret?token=${token}`)).status).toBe(403);
      expect((await upgradeStatus(`${gw.url}/ws/auth/team-blue?token=${token}`)).status).toBe(101);
    });

    it('answers 404 for unknown paths', async () => {
      expect((await upgradeStatus(`${gw.url}/nope`)).status).toBe(404);
      expect((await upgradeStatus(`${gw.url}/ws/a/b/c`)).status).toBe(404);
      expect((await upgradeStatus(`${gw.url}/ws/bad%20room`)).status).toBe(404);
    });

    it('rejects a bad token even where auth is optional, rather than downgrading to anonymous', async () => {
      expect((await upgradeStatus(`${gw.url}/ws?token=garbage`)).status).toBe(401);
    });
  });

  it('requires a token on /ws and /ws/{room} when WEBSOCKET_REQUIRE_AUTH=true, and ignores ?user_id=', async () => {
    const gw = await startTestGateway({ WEBSOCKET_REQUIRE_AUTH: 'true' });
    try {
      expect((await upgradeStatus(`${gw.url}/ws`)).status).toBe(401);
      expect((await upgradeStatus(`${gw.url}/ws/room1?user_id=admin`)).status).toBe(401);
      const c = await TestClient.connect(`${gw.url}/ws/room1?user_id=admin&token=${signToken({ sub: 'real', username: 'real' })}`);
      expect(await c.next('user_list')).toMatchObject({ data: ['real'] });
      await c.close();
    } finally {
      await gw.app.close();
    }
  });

  it('answers 403 to a browser origin that is not allowed, and lets allowed and non-browser clients in', async () => {
    const gw = await startTestGateway({ WEBSOCKET_ALLOWED_ORIGINS: 'https://app.example.com,http://localhost:3000' });
    try {
      expect((await upgradeStatus(`${gw.url}/ws`, { headers: { Origin: 'https://evil.example.com' } })).status).toBe(403);
      expect((await upgradeStatus(`${gw.url}/ws`, { headers: { Origin: 'https://app.example.com' } })).status).toBe(101);
      expect((await upgradeStatus(`${gw.url}/ws`)).status).toBe(101);
    } finally {
      await gw.app.close();
    }
  });

  it('answers 503 past WEBSOCKET_MAX_CONNECTIONS and lets the next client in once one leaves', async () => {
    const gw = await startTestGateway({ WEBSOCKET_MAX_CONNECTIONS: '3' });
    try {
      const open = await Promise.all([1, 2, 3].map(() => TestClient.connect(`${gw.url}/ws`)));
      const over = await upgradeStatus(`${gw.url}/ws`);
      expect(over.status).toBe(503);
      expect(JSON.parse(over.body).error).toMatch(/connection limit/);
      await open[0].close();
      await until('a place freed under the connection limit', 5000, async () => (await upgradeStatus(`${gw.url}/ws`)).status === 101);
      await Promise.all(open.slice(1).map((c) => c.close()));
    } finally {
      await gw.app.close();
    }
  });

  it('answers 429 past the per-IP connect rate', async () => {
    const gw = await startTestGateway({ WEBSOCKET_CONNECT_RATE: '1', WEBSOCKET_CONNECT_BURST: '5' });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) statuses.push((await upgradeStatus(`${gw.url}/ws`)).status);
      expect(statuses.slice(0, 5)).toEqual([101, 101, 101, 101, 101]);
      expect(statuses.slice(5)).toContain(429);
    } finally {
      await gw.app.close();
    }
  });

  it('answers 503 to every upgrade when WEBSOCKET_ENABLED=false', async () => {
    const gw = await startTestGateway({ WEBSOCKET_ENABLED: 'false' });
    try {
      expect((await upgradeStatus(`${gw.url}/ws`)).status).toBe(503);
      const health = await fetch(`${gw.http}/health/live`);
      expect(health.status).toBe(200);
    } finally {
      await gw.app.close();
    }
  });
});
