import { type AppProcess, metric, redisGatewayEnv, RedisServer, SseRefused, SseTestClient, signToken, startAppProcess, TEST_SECRET, TestClient, until } from '@switchboard/testing';

/** The status an SSE stream is refused with, or 200 when it opens. */
async function streamStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  try {
    const c = await SseTestClient.open(url, { headers });
    await c.close();
    return 200;
  } catch (err) {
    if (err instanceof SseRefused) return err.status;
    throw err;
  }
}

/** The SSE transport (issue 19) on two real gateway processes over a real Redis, with real WebSocket clients beside it. */
describe('SSE + HTTP transport', () => {
  let redis: RedisServer;
  const gws: AppProcess[] = [];
  const sse: SseTestClient[] = [];
  const ws: TestClient[] = [];
  const env = () =>
    redisGatewayEnv(redis.url, TEST_SECRET, {
      WEBSOCKET_DRAIN_TIMEOUT: '200ms',
      WEBSOCKET_MESSAGE_BURST: '20',
      WEBSOCKET_RATE_LIMIT_STRIKES: '50',
      // The rate-limit test probes with user_list, as one frame among others.
      WEBSOCKET_USER_LIST_COST: '1',
    });
  const jwt = (sub: string) => signToken({ sub, username: sub });
  const stream = async (gw: AppProcess, path: string, sub?: string) => {
    const c = await SseTestClient.open(`${gw.http}${path}`, { headers: sub ? { Authorization: `Bearer ${jwt(sub)}` } : {} });
    sse.push(c);
    return c;
  };
  const socket = async (gw: AppProcess, path: string) => {
    const c = await TestClient.connect(`${gw.url}${path}`);
    ws.push(c);
    return c;
  };

  beforeAll(async () => {
    redis = await RedisServer.start();
    gws.push(...(await Promise.all([1, 2].map(() => startAppProcess('gateway', env())))));
  }, 60000);
  afterEach(async () => {
    await Promise.all([...sse.splice(0), ...ws.splice(0)].map((c) => c.close()));
  });
  afterAll(async () => {
    await Promise.all(gws.map((g) => g.stop('SIGKILL')));
    await redis.destroy();
  });

  it('chats with a WebSocket client on another replica: the same JSON as events, uplinks POSTed to either replica taken in order', async () => {
    const [g1, g2] = gws;
    const ann = await stream(g1, '/sse/ws/auth/lobby', 'ann');
    expect(ann.sessionId).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(await ann.next('user_list')).toMatchObject({ room: 'lobby', data: ['ann'] });
    const ben = await socket(g2, `/ws/auth/lobby?token=${jwt('ben')}`);
    await ben.next('user_list');
    expect(await ann.next('join')).toMatchObject({ room: 'lobby', username: 'ben' });
    const raw: string[] = [];
    ben.ws.on('message', (data) => raw.push(data.toString()));

    // One POST to the replica holding the stream, one to the other, one array: in this order, each once.
    await ann.send({ type: 'message', room: 'lobby', content: 'one' });
    await ann.send({ type: 'message', room: 'lobby', content: 'two' }, g2.http);
    await ann.send([{ type: 'message', room: 'lobby', content: 'three' }, { type: 'ping' }], g2.http);
    for (const content of ['one', 'two', 'three']) expect(await ben.next('message')).toMatchObject({ content, username: 'ann' });
    expect(await ann.next('pong')).toMatchObject({ type: 'pong' });
    expect(await metric(g1, 'switchboard_sse_uplinks_total{outcome="local"}')).toBe(1);
    expect(await metric(g2, 'switchboard_sse_uplinks_total{outcome="forwarded"}')).toBe(2);

    ben.send({ type: 'message', room: 'lobby', content: 'hi ann' });
    const got = await ann.next((f) => f.type === 'message' && f.content === 'hi ann');
    // Byte for byte the text the WebSocket carried.
    await until('ben to see his own message', 3000, () => raw.some((t) => t.includes('"hi ann"')));
    expect(JSON.stringify(got)).toBe(raw.find((t) => t.includes('"hi ann"')));
    expect(await metric(g1, 'switchboard_connections{dialect="rooms-chat",transport="sse"}')).toBe(1);
    expect(await metric(g2, 'switchboard_connections{dialect="rooms-chat",transport="websocket"}')).toBe(1);
  });

  it('opens on the dialect path itself with Accept: text/event-stream, in every dialect', async () => {
    const [g1] = gws;
    const guest = await stream(g1, '/ws/plaza?user_id=gus');
    expect(await guest.next('user_list')).toMatchObject({ room: 'plaza', data: ['gus'] });
    const channel = await stream(g1, '/api/v1/ws?channel_id=news', 'cid');
    expect(await channel.next('channel_joined')).toMatchObject({ channel_id: 'news' });
    const peer = await stream(g1, '/signaling', 'pia');
    expect(await peer.next('welcome')).toMatchObject({ client_id: expect.any(Number) });
  });

  it('is refused as an upgrade is, with the same HTTP answers before any byte of the stream', async () => {
    const [g1] = gws;
    expect(await streamStatus(`${g1.http}/sse/ws/auth/lobby`)).toBe(401);
    expect(await streamStatus(`${g1.http}/ws/auth`)).toBe(401);
    expect(await streamStatus(`${g1.http}/sse/ws/auth/lobby`, { Authorization: 'Bearer nonsense' })).toBe(401);
    expect(await streamStatus(`${g1.http}/sse/signaling`)).toBe(401);
    // A token cookie counts only from an allowed origin.
    expect(await streamStatus(`${g1.http}/sse/ws/auth`, { Cookie: `token=${jwt('eve')}`, Origin: 'https://evil.example.com' })).toBe(403);
    // Another site's <img> or <script>: no Origin, but the browser says it is cross-site.
    expect(await streamStatus(`${g1.http}/sse/ws/auth`, { Cookie: `token=${jwt('eve')}`, 'Sec-Fetch-Site': 'cross-site' })).toBe(403);
    expect(await streamStatus(`${g1.http}/sse/ws/auth`, { Cookie: `token=${jwt('eve')}`, 'Sec-Fetch-Site': 'same-origin' })).toBe(200);
    expect(await streamStatus(`${g1.http}/sse/ws/auth/secret`, { Authorization: `Bearer ${signToken({ sub: 'r', rooms: ['open'] })}` })).toBe(403);
    expect(await streamStatus(`${g1.http}/sse/nowhere`)).toBe(404);
    expect(await streamStatus(`${g1.http}/sse/api/v1/ws?channel_id=bad%20id&token=${jwt('x')}`)).toBe(400);
    expect(await streamStatus(`${g1.http}/sse/ws/lobby?user_id=x`, { 'Last-Event-ID': '9,garbage' })).toBe(400);
    expect(await metric(g1, 'switchboard_handshakes_refused_total{status="401",transport="sse"}')).toBe(4);
    expect(await metric(g1, 'switchboard_handshakes_refused_total{status="403",transport="sse"}')).toBe(3);
  });

  it('answers bad uplinks with a 4xx or an error event, and the session and its replica keep working', async () => {
    const [g1, g2] = gws;
    const ann = await stream(g1, '/sse/ws/bad?user_id=ann');
    await ann.next('user_list');
    const bob = await stream(g2, '/sse/ws/bad?user_id=bob');
    await bob.next('user_list');
    for (const origin of [g1.http, g2.http]) {
      expect((await ann.post('{"type":', { origin })).status).toBe(400);
      expect((await ann.post('"a string"', { origin })).status).toBe(400);
      expect((await ann.post(`{"type":"message","room":"bad","content":"${'x'.repeat(1024 * 1024)}"}`, { origin })).status).toBe(413);
      expect((await ann.post({ type: 'ping' }, { origin, token: 'not-the-token' })).status).toBe(403);
      // Another session's id with this session's token.
      expect((await ann.post({ type: 'ping' }, { origin, session: bob.sessionId })).status).toBe(403);
      expect((await ann.post({ type: 'ping' }, { origin, session: 'AAAAAAAAAAAAAAAA' })).status).toBe(404);
      // A frame over the rooms endpoint's 512-byte limit: nothing of the POST is taken.
      expect((await ann.post([{ type: 'ping' }, { type: 'message', room: 'bad', content: 'y'.repeat(600) }], { origin })).status).toBe(413);
    }
    await ann.none('pong', 200);
    // Frames that are not frames: error events naming what they answer, as over a WebSocket.
    await ann.send([{ nope: 1 }, 42, { type: 'teleport' }, { type: 'message', room: 'elsewhere', content: 'x' }]);
    expect(await ann.next('error')).toMatchObject({ data: { code: 'unknown_type' } });
    expect(await ann.next('error')).toMatchObject({ data: { code: 'bad_json' } });
    expect(await ann.next('error')).toMatchObject({ data: { code: 'unknown_type' }, re: 'teleport' });
    expect(await ann.next('error')).toMatchObject({ data: { code: 'not_in_room' }, re: 'message', room: 'elsewhere' });
    // Faster than the rate limit (a burst of 20): what is over it is dropped, with one error event.
    await ann.send(Array.from({ length: 30 }, () => ({ type: 'ping' })), g2.http);
    expect(await ann.next('error')).toMatchObject({ data: { code: 'rate_limited' }, re: 'ping' });
    // Once the bucket refilled, a member list is answered: every ping before it that was taken has its pong.
    await until('a frame taken again', 3000, async () => {
      await ann.post({ type: 'user_list', room: 'bad' });
      return ann.frames.some((f) => f.type === 'user_list' && f.room === 'bad' && f.offset === undefined);
    });
    const pongs = ann.frames.filter((f) => f.type === 'pong').length;
    expect(pongs).toBeGreaterThan(0);
    expect(pongs).toBeLessThanOrEqual(20);
    await ann.send({ type: 'message', room: 'bad', content: 'still here' }, g2.http);
    expect(await bob.next('message')).toMatchObject({ content: 'still here', username: 'ann' });
    expect(ann.closeCode).toBeUndefined();
    const fresh = await stream(g1, '/sse/ws/bad?user_id=cyd');
    expect(await fresh.next('user_list')).toMatchObject({ room: 'bad' });
    expect(await metric(g2, 'switchboard_sse_uplinks_total{outcome="404"}')).toBeGreaterThanOrEqual(1);
  });

  it('a session whose client stops answering pings is ended like a dead socket; one that answers stays', async () => {
    const gw = await startAppProcess('gateway', { ...env(), WEBSOCKET_PING_PERIOD: '300ms', WEBSOCKET_PONG_WAIT: '900ms', WEBSOCKET_MAX_CONNECTIONS: '2' });
    try {
      const live = await SseTestClient.open(`${gw.http}/sse/ws/hb?user_id=live`, { answerPings: true });
      const mute = await SseTestClient.open(`${gw.http}/sse/ws/hb?user_id=mute`);
      sse.push(live, mute);
      // The replica's connection cap counts SSE sessions too.
      expect(await streamStatus(`${gw.http}/sse/ws/hb?user_id=third`)).toBe(503);
      expect(await mute.closed).toBe(1006);
      expect(mute.pings).toBeGreaterThan(0);
      await until('three pings answered', 5000, () => live.pings >= 3);
      expect(live.closeCode).toBeUndefined();
      expect(await metric(gw, 'switchboard_disconnects_total{reason="timeout",transport="sse"}')).toBe(1);
    } finally {
      await gw.stop('SIGKILL');
    }
  });
});
