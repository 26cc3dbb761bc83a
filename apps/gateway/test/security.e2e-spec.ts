import { createHmac } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { signToken, TEST_SECRET, TestClient, upgradeStatus } from '@switchboard/testing';
import { startTestGateway } from './support/gateway';

type Gateway = Awaited<ReturnType<typeof startTestGateway>>;

/** Issue 11's findings on the gateway, each tried as an attacker would. */
describe('security of the gateway', () => {
  describe('guests (no credential) with the default settings', () => {
    let gw: Gateway;
    const clients: TestClient[] = [];
    beforeAll(async () => {
      gw = await startTestGateway({ WEBSOCKET_CONNECT_BURST: '1000' });
    });
    afterEach(async () => {
      await Promise.all(clients.splice(0).map((c) => c.close()));
    });
    afterAll(async () => {
      await gw.app.close();
    });
    const open = async (path: string) => {
      const c = await TestClient.connect(`${gw.url}${path}`);
      clients.push(c);
      return c;
    };

    it('marks every frame from or about a guest with guest: true, so a guest cannot pass as the user it names', async () => {
      const alice = await open(`/ws/r3?token=${signToken({ sub: 'u-alice', username: 'alice' })}`);
      await alice.next('user_list');
      const fake = await open('/ws/r3?user_id=u-alice');
      await fake.next('user_list');
      expect(await alice.next('join')).toMatchObject({ user_id: 'u-alice', guest: true });

      fake.send({ type: 'message', room: 'r3', content: 'I am alice' });
      const forged = await alice.next((f) => f.type === 'message' && f.content === 'I am alice');
      expect(forged).toMatchObject({ user_id: 'u-alice', guest: true });

      alice.send({ type: 'message', room: 'r3', content: 'the real alice' });
      const real = await fake.next((f) => f.type === 'message' && f.content === 'the real alice');
      expect(real.user_id).toBe('u-alice');
      expect(real).not.toHaveProperty('guest');

      fake.send({ type: 'private_message', user_id: 'u-alice', content: 'psst' });
      expect(await alice.next('private_message')).toMatchObject({ content: 'psst', user_id: 'u-alice', guest: true });

      // Seed 002's hub rendering carries it too, inside data as well.
      const hub = await open('/ws?user_id=hub-client');
      await hub.ask({ type: 'join_room', data: 'r3' }, 'user_list');
      fake.send({ type: 'room_message', data: { room: 'r3', message: 'hi hub' } });
      expect(await hub.next('room_message')).toMatchObject({ user_id: 'u-alice', guest: true, data: { user_id: 'u-alice', guest: true, message: 'hi hub' } });

      // The channels dialect (seed 003) names people by email; a guest's frames say guest there too.
      const channel = await open(`/api/v1/ws?channel_id=r3&token=${signToken({ sub: 'u-carol', email: 'carol@example.com' })}`);
      await channel.next('channel_joined');
      fake.send({ type: 'message', room: 'r3', content: 'to the channel' });
      expect(await channel.next('message')).toMatchObject({ content: 'to the channel', user_email: null, guest: true });

      await fake.close();
      expect(await alice.next('leave')).toMatchObject({ user_id: 'u-alice', guest: true });
      expect(await channel.next('channel_left')).toMatchObject({ username: 'u-alice', guest: true });
    });

    it("keeps seed 002's ?user_id= working: guests join any room and talk by default", async () => {
      const a = await open('/ws/lobby?user_id=user123');
      expect(await a.next('user_list')).toMatchObject({ data: ['user123'] });
      const b = await open('/ws?user_id=user456');
      await b.ask({ type: 'join_room', data: 'lobby' }, 'user_list');
      a.send({ type: 'message', room: 'lobby', content: 'hello' });
      expect(await b.next('room_message')).toMatchObject({ user_id: 'user123', guest: true });
    });
  });

  it('keeps guests to WEBSOCKET_GUEST_ROOMS, while tokens still decide for users', async () => {
    const gw = await startTestGateway({ WEBSOCKET_GUEST_ROOMS: 'lobby,public-*', WEBSOCKET_CONNECT_BURST: '1000' });
    const clients: TestClient[] = [];
    try {
      const limited = signToken({ sub: 'u-3', rooms: ['r3'] });
      expect((await upgradeStatus(`${gw.url}/ws/auth/other?token=${limited}`)).status).toBe(403);
      const member = await TestClient.connect(`${gw.url}/ws/r3?token=${limited}`);
      clients.push(member);
      await member.next('user_list');

      const refused = await upgradeStatus(`${gw.url}/ws/r3?user_id=spy`);
      expect(refused.status).toBe(403);
      expect(JSON.parse(refused.body).error).toMatch(/guests may not join room "r3"/);

      const spy = await TestClient.connect(`${gw.url}/ws?user_id=spy`);
      clients.push(spy);
      expect(await spy.ask({ type: 'join', room: 'r3' }, 'error')).toMatchObject({ data: { code: 'forbidden' } });
      expect(await spy.ask({ type: 'user_list', room: 'r3' }, 'error')).toMatchObject({ data: { code: 'forbidden' } });
      member.send({ type: 'message', room: 'r3', content: 'secret plans' });
      await member.next('message');
      await spy.none('message');

      expect(await spy.ask({ type: 'join', room: 'public-chat' }, 'user_list')).toMatchObject({ room: 'public-chat' });
      const lobby = await TestClient.connect(`${gw.url}/ws/lobby?user_id=visitor`);
      clients.push(lobby);
      expect(await lobby.next('user_list')).toMatchObject({ room: 'lobby' });
    } finally {
      await Promise.all(clients.map((c) => c.close()));
      await gw.app.close();
    }
  });

  describe('cross-site WebSocket hijacking with a token cookie', () => {
    const token = signToken({ sub: 'victim', username: 'victim' });
    const cookie = { Cookie: `token=${token}` };

    it('with WEBSOCKET_ALLOWED_ORIGINS=* takes a cookie only from the server\'s own origin (its Host)', async () => {
      const gw = await startTestGateway({ WEBSOCKET_CONNECT_BURST: '1000' });
      try {
        const evil = await upgradeStatus(`${gw.url}/ws/auth/secret`, { headers: { ...cookie, Origin: 'https://evil.example.com' } });
        expect(evil.status).toBe(403);
        expect(JSON.parse(evil.body).error).toMatch(/cookie/);
        // A sandboxed iframe or a file: page sends Origin: null.
        expect((await upgradeStatus(`${gw.url}/ws/auth/secret`, { headers: { ...cookie, Origin: 'null' } })).status).toBe(403);
        // The page the server itself serves, and clients that are not browsers (no Origin).
        expect((await upgradeStatus(`${gw.url}/ws/auth/secret`, { headers: { ...cookie, Origin: gw.http } })).status).toBe(101);
        // The same host over another scheme is another origin: https://host is not this http server.
        expect((await upgradeStatus(`${gw.url}/ws/auth/secret`, { headers: { ...cookie, Origin: gw.http.replace('http:', 'https:') } })).status).toBe(403);
        expect((await upgradeStatus(`${gw.url}/ws/auth/secret`, { headers: cookie })).status).toBe(101);
        // A token the page itself hands over (query, header) is not sent by the browser on its own: any origin may use it.
        expect((await upgradeStatus(`${gw.url}/ws/auth/secret?token=${token}`, { headers: { Origin: 'https://evil.example.com' } })).status).toBe(101);
        expect((await upgradeStatus(`${gw.url}/ws/auth/secret`, { headers: { Authorization: `Bearer ${token}`, Origin: 'null' } })).status).toBe(101);
      } finally {
        await gw.app.close();
      }
    });

    it('with an origin list takes a cookie from a listed origin only', async () => {
      const gw = await startTestGateway({ WEBSOCKET_ALLOWED_ORIGINS: 'https://app.example.com', WEBSOCKET_CONNECT_BURST: '1000' });
      try {
        expect((await upgradeStatus(`${gw.url}/ws/auth`, { headers: { ...cookie, Origin: 'https://app.example.com' } })).status).toBe(101);
        expect((await upgradeStatus(`${gw.url}/ws/auth`, { headers: { ...cookie, Origin: 'https://evil.example.com' } })).status).toBe(403);
        expect((await upgradeStatus(`${gw.url}/ws/auth`, { headers: { ...cookie, Origin: 'null' } })).status).toBe(403);
      } finally {
        await gw.app.close();
      }
    });
  });

  it('refuses a JWT without exp (401)', async () => {
    const gw = await startTestGateway();
    try {
      const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const unsigned = `${enc({ alg: 'HS256', typ: 'JWT' })}.${enc({ sub: 'u1', iat: Math.floor(Date.now() / 1000) })}`;
      const noExp = `${unsigned}.${createHmac('sha256', TEST_SECRET).update(unsigned).digest('base64url')}`;
      const res = await upgradeStatus(`${gw.url}/ws/auth?token=${noExp}`);
      expect(res.status).toBe(401);
      expect(JSON.parse(res.body).error).toBe('token has no expiry (exp)');
    } finally {
      await gw.app.close();
    }
  });

  describe('slow handshakes', () => {
    let gw: Gateway;
    const sockets: Socket[] = [];
    beforeAll(async () => {
      gw = await startTestGateway({ WEBSOCKET_HANDSHAKE_TIMEOUT: '1s', WEBSOCKET_CONNECT_BURST: '5' });
    });
    afterEach(() => {
      for (const s of sockets.splice(0)) s.destroy();
    });
    afterAll(async () => {
      await gw.app.close();
    });

    const rawSocket = () =>
      new Promise<{ socket: Socket; closed: Promise<number> }>((resolve, reject) => {
        const start = Date.now();
        const socket = connect(gw.port, '127.0.0.1');
        sockets.push(socket);
        socket.on('error', () => undefined);
        const closed = new Promise<number>((r) => socket.once('close', () => r(Date.now() - start)));
        socket.once('connect', () => resolve({ socket, closed }));
        socket.once('error', reject);
      });
    const within = async <T>(p: Promise<T>, ms: number): Promise<T> => {
      let timer: NodeJS.Timeout | undefined;
      try {
        return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`not within ${ms}ms`)), ms)))]);
      } finally {
        clearTimeout(timer);
      }
    };

    it('cuts off a socket that sends nothing, and one that sends its headers slowly, after the handshake timeout', async () => {
      const silent = await rawSocket();
      const slow = await rawSocket();
      slow.socket.write('GET /ws HTTP/1.1\r\nHost: x\r\n');
      const drip = setInterval(() => slow.socket.writable && slow.socket.write('X-Slow: a\r\n'), 200);
      try {
        const [silentMs, slowMs] = await within(Promise.all([silent.closed, slow.closed]), 8000);
        expect(silentMs).toBeGreaterThanOrEqual(900);
        expect(slowMs).toBeGreaterThanOrEqual(900);
      } finally {
        clearInterval(drip);
      }
    }, 15000);

    it('counts unfinished handshakes against the per-address limit, and frees the slots when they are cut off', async () => {
      const held = await Promise.all(Array.from({ length: 5 }, () => rawSocket()));
      const refused = await upgradeStatus(`${gw.url}/ws`);
      expect(refused.status).toBe(429);
      await within(Promise.all(held.map((h) => h.closed)), 8000);
      const c = await TestClient.connect(`${gw.url}/ws?user_id=patient`);
      await c.close();
    }, 15000);
  });
});
