import { type AppProcess, bearer, type Frame, type FrameLog, processCluster, signToken, sleep, SseTestClient, TestClient, until } from '@switchboard/testing';

const SECRET = 'token-refresh-secret-0123456789';

/** A client of one dialect over one transport, as a test drives it. */
interface Client extends FrameLog {
  send(frame: unknown): unknown;
  close(): Promise<number>;
}

/** How one dialect is reached, on one transport: where, the frame confirming it is in, and the chat frame it sends (none: signaling). */
interface Way {
  name: string;
  open(gw: AppProcess, token: string, room: string): Promise<Client>;
  ready: string;
  chat?: (room: string, content: string, id: string) => Frame;
}

const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
const ws = (path: (room: string) => string) => (gw: AppProcess, token: string, room: string) => TestClient.connect(`${gw.url}${path(room)}`, { headers: auth(token) });
const sse = (path: (room: string) => string) => (gw: AppProcess, token: string, room: string) => SseTestClient.open(`${gw.http}/sse${path(room)}`, { headers: auth(token) });
const roomsChat = (room: string, content: string, id: string): Frame => ({ type: 'message', room, content, id });
const channelsChat = (room: string, content: string, id: string): Frame => ({ type: 'message', channel_id: room, content, id });

const WAYS: Way[] = [
  { name: 'rooms /ws/{room}', open: ws((r) => `/ws/${r}`), ready: 'user_list', chat: roomsChat },
  { name: 'rooms /ws/auth/{room}', open: ws((r) => `/ws/auth/${r}`), ready: 'user_list', chat: roomsChat },
  { name: 'channels /api/v1/ws', open: ws((r) => `/api/v1/ws?channel_id=${r}`), ready: 'channel_joined', chat: channelsChat },
  { name: 'signaling /signaling', open: ws(() => '/signaling'), ready: 'welcome' },
  { name: 'rooms over SSE', open: sse((r) => `/ws/auth/${r}`), ready: 'user_list', chat: roomsChat },
  { name: 'channels over SSE', open: sse((r) => `/api/v1/ws?channel_id=${r}`), ready: 'channel_joined', chat: channelsChat },
  { name: 'signaling over SSE', open: sse(() => '/signaling'), ready: 'welcome' },
];

const errorCode = (f: Frame) => f.code ?? (f.data as { code?: string } | undefined)?.code;
const closedWith = async (c: Client) => {
  await until('the connection to close', 10_000, () => c.closeCode !== undefined);
  return { code: c.closeCode, reason: c.closeReason };
};

/**
 * Token lifetime on every dialect and transport, with real processes on a real Redis: the api
 * (for password changes, which revoke) and two gateways. A JWT connection closes at `exp`
 * with 4003 unless the client sent `refresh` with a fresh token of the same subject first.
 */
describe('token refresh on every dialect (api + two gateways on Redis)', () => {
  const cluster = processCluster(2, { JWT_SECRET: SECRET });
  const clients: Client[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  const open = async (way: Way, token: string, room: string, gw = cluster.gws[0]) => {
    const c = await way.open(gw, token, room);
    clients.push(c);
    await c.next(way.ready);
    return c;
  };
  const token = (sub: string, lifetimeSec: number, claims: Record<string, unknown> = {}) => signToken({ sub, username: sub, email: `${sub}@example.com`, ...claims }, SECRET, lifetimeSec);
  const expOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()).exp as number;

  it.each(WAYS.map((w) => [w.name, w]))('%s: a refreshed 3 s token keeps the connection open past its exp, with traffic and nothing lost', async (_name, way) => {
    const user = `keep-${WAYS.indexOf(way)}`;
    const room = `refresh-${WAYS.indexOf(way)}`;
    const first = token(user, 3);
    const c = await open(way, first, room);
    const fresh = token(user, 60);
    c.send({ type: 'refresh', token: fresh });
    expect(await c.next('refreshed')).toEqual({ type: 'refreshed', exp: expOf(fresh) });
    // Traffic from before the first token's exp until well after it.
    let sent = 0;
    while (Date.now() / 1000 < expOf(first) + 1.5) {
      sent += 1;
      if (way.chat) {
        c.send(way.chat(room, `m${sent}`, `id-${sent}`));
        expect(await c.next('ack')).toMatchObject({ id: `id-${sent}`, room, offset: sent });
      } else {
        c.send({ type: 'ping' });
        await c.next('pong');
      }
      await sleep(250); // pacing the traffic, not waiting for anything
    }
    if (way.chat) expect(c.frames.filter((f) => f.type === 'message').map((f) => f.content)).toEqual(Array.from({ length: sent }, (_, i) => `m${i + 1}`));
    expect(c.closeCode).toBeUndefined();
  }, 20000);

  it.each(WAYS.map((w) => [w.name, w]))('%s: without refresh the connection closes at exp with 4003 "token expired"', async (_name, way) => {
    const c = await open(way, token(`lapse-${WAYS.indexOf(way)}`, 2), `lapse-${WAYS.indexOf(way)}`);
    c.send({ type: 'ping' });
    await c.next('pong');
    expect(await closedWith(c)).toEqual({ code: 4003, reason: 'token expired' });
  }, 20000);

  it.each(WAYS.map((w) => [w.name, w]))('%s: a refresh for another subject, or an invalid token, gets an error and close 4001', async (_name, way) => {
    const user = `swap-${WAYS.indexOf(way)}`;
    const [a, b] = [await open(way, token(user, 60), `swap-${WAYS.indexOf(way)}`), await open(way, token(user, 60), `swap-${WAYS.indexOf(way)}`, cluster.gws[1])];
    a.send({ type: 'refresh', token: token('someone-else', 60) });
    b.send({ type: 'refresh', token: `${token(user, 60)}x` });
    for (const c of [a, b]) {
      expect(errorCode(await c.next('error'))).toBe('refresh_failed');
      expect(await closedWith(c)).toMatchObject({ code: 4001 });
    }
    expect(a.frames.find((f) => f.type === 'error')).toMatchObject({ re: 'refresh' });
  }, 20000);

  it.each(WAYS.map((w) => [w.name, w]))('%s: revocation still closes a refreshed connection at once (4001), and a revoked token refreshes nothing', async (_name, way) => {
    const username = `revoke-${WAYS.indexOf(way)}`;
    const registered = await cluster.call('POST', '/auth/register', { username, password: 'secret123' });
    expect(registered.status).toBe(201);
    const sub = registered.body.user_id as string;
    const before = token(sub, 60);
    const c = await open(way, token(sub, 3), username);
    c.send({ type: 'refresh', token: token(sub, 60) });
    await c.next('refreshed');

    const login = (await cluster.call('POST', '/auth/login', { username, password: 'secret123' })).body.access_token as string;
    expect((await cluster.call('POST', '/auth/newpassword', { old_password: 'secret123', new_password: 'newsecret456' }, bearer(login))).status).toBe(200);
    expect(await closedWith(c)).toEqual({ code: 4001, reason: 'session revoked' });

    // A token issued after the revocation opens; refreshing it with one from before is refused.
    const after = token(sub, 60, { iat: Math.floor(Date.now() / 1000) + 2 });
    const d = await open(way, after, username, cluster.gws[1]);
    d.send({ type: 'refresh', token: before });
    expect(await d.next('error')).toMatchObject({ re: 'refresh' });
    expect(await closedWith(d)).toMatchObject({ code: 4001 });
  }, 20000);
});
