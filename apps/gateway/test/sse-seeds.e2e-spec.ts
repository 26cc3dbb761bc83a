import { type AppProcess, bearer, redisGatewayEnv, RedisServer, rest, SseTestClient, startAppProcess, TEST_SECRET, TestClient } from '@switchboard/testing';

/**
 * Seeds 003 and 004 over SSE, as an SSE client would use them where WebSocket is blocked: the
 * api and two gateway processes on one real Redis; the SSE client on one replica, the
 * WebSocket client it talks with on the other.
 */
describe('the seed flows over SSE', () => {
  let redis: RedisServer;
  let api: AppProcess;
  let gws: AppProcess[];
  let call: ReturnType<typeof rest>;
  const open: Array<{ close(): Promise<unknown> }> = [];
  const track = <T extends { close(): Promise<unknown> }>(c: T): T => (open.push(c), c);

  beforeAll(async () => {
    redis = await RedisServer.start();
    const env = redisGatewayEnv(redis.url, TEST_SECRET, { WEBSOCKET_SIGNALING_MAX_MESSAGE_SIZE: '16384' });
    [api, ...gws] = await Promise.all([startAppProcess('api', { ...env, DATA_DIR: 'memory://' }), startAppProcess('gateway', env), startAppProcess('gateway', env)]);
    call = rest(api.http);
  }, 60000);
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await Promise.all([api, ...(gws ?? [])].map((p) => p?.stop('SIGKILL')));
    await redis?.destroy();
  });

  const account = async (username: string) => {
    const registered = await call('POST', '/auth/register', { username, password: 'secret123', email: `${username}@example.com` });
    expect(registered.status).toBe(201);
    const login = await call('POST', '/auth/login', { username, password: 'secret123' });
    return { apiKey: registered.body.api_key as string, token: login.body.access_token as string };
  };

  it("seed 003: a channel member over SSE hears the api's lifecycle events and a WebSocket member, joins and leaves channels, pings", async () => {
    const [g1, g2] = gws;
    const alice = await account('sse-alice');
    const bob = await account('sse-bob');
    const stream = track(await SseTestClient.open(`${g1.http}/sse/api/v1/ws?channel_id=general`, { headers: bearer(alice.token) }));
    expect(await stream.next('channel_joined')).toMatchObject({ channel_id: 'general', user_email: 'sse-alice@example.com' });
    const socket = track(await TestClient.connect(`${g2.url}/api/v1/ws?channel_id=general&token=${bob.token}`));
    await socket.next('channel_joined');
    expect(await stream.next((f) => f.type === 'channel_joined' && f.user_email === 'sse-bob@example.com')).toMatchObject({ channel_id: 'general' });

    const created = await call('POST', '/api/v1/messages', { channel_id: 'general', content: 'stored hello' }, bearer(alice.token));
    expect(created.status).toBe(201);
    const id = created.body.data.id;
    for (const c of [stream, socket]) expect(await c.next('new_message')).toMatchObject({ channel_id: 'general', data: { id, content: 'stored hello' } });
    expect((await call('PATCH', `/api/v1/messages/${id}`, { content: 'edited' }, bearer(alice.token))).status).toBe(200);
    expect(await stream.next('message_updated')).toMatchObject({ data: { id, content: 'edited' } });
    expect((await call('DELETE', `/api/v1/messages/${id}`, undefined, bearer(alice.token))).status).toBeLessThan(300);
    expect(await stream.next('message_deleted')).toMatchObject({ data: { id } });

    await stream.send({ type: 'join_channel', channel_id: 'random' }, g2.http);
    expect(await stream.next('channel_joined')).toMatchObject({ channel_id: 'random' });
    await stream.send({ type: 'leave_channel', channel_id: 'random' });
    expect(await stream.next('channel_left')).toMatchObject({ channel_id: 'random', user_email: 'sse-alice@example.com' });
    expect(await stream.ask({ type: 'ping' }, 'pong')).toMatchObject({ type: 'pong', timestamp: expect.any(String) });
    await stream.send({ type: 'leave_channel', channel_id: 'general' }, g2.http);
    expect(await socket.next('channel_left')).toMatchObject({ user_email: 'sse-alice@example.com' });
  });

  it('seed 004: an SSE peer (API key) and a WebSocket peer on another replica create and join a room and relay offer, answer and candidates both ways', async () => {
    const [g1, g2] = gws;
    const carol = await account('sse-carol');
    const dave = await account('sse-dave');
    // EventSource cannot send headers: the API key goes in the query, as seed 004 allows.
    const a = track(await SseTestClient.open(`${g1.http}/sse/signaling?api_key=${encodeURIComponent(carol.apiKey)}`));
    const aId = (await a.next('welcome')).client_id as number;
    const b = track(await TestClient.connect(`${g2.url}/signaling`, { headers: { 'X-API-Key': dave.apiKey } }));
    const bId = (await b.next('welcome')).client_id as number;

    const room = (await a.ask({ type: 'create_room' }, 'room_created')).room_id as number;
    expect(await b.ask({ type: 'join_room', room_id: room }, 'room_joined')).toEqual({ type: 'room_joined', room_id: room, peers: [aId] });
    expect(await a.next('peer_joined')).toEqual({ type: 'peer_joined', room_id: room, client_id: bId });

    const offer = { type: 'offer', sdp: `v=0\r\n${'a=x\r\n'.repeat(1500)}` }; // ~9 KB, within signaling's frame limit
    await a.send({ type: 'offer', to: bId, data: offer }, g2.http);
    expect(await b.next('offer')).toEqual({ type: 'offer', from: aId, data: offer });
    b.send({ type: 'answer', to: aId, data: { type: 'answer', sdp: 'v=0' } });
    expect(await a.next('answer')).toEqual({ type: 'answer', from: bId, data: { type: 'answer', sdp: 'v=0' } });
    await a.send(Array.from({ length: 5 }, (_, i) => ({ type: 'ice_candidate', to: bId, data: { candidate: `a${i}` } })));
    for (let i = 0; i < 5; i++) expect(await b.next('ice_candidate')).toEqual({ type: 'ice_candidate', from: aId, data: { candidate: `a${i}` } });
    for (let i = 0; i < 3; i++) b.send({ type: 'ice_candidate', to: aId, data: { candidate: `b${i}` } });
    for (let i = 0; i < 3; i++) expect(await a.next('ice_candidate')).toEqual({ type: 'ice_candidate', from: bId, data: { candidate: `b${i}` } });

    await a.send({ type: 'offer', to: 9007199254740991, data: {} }, g2.http);
    expect(await a.next('error')).toMatchObject({ code: 'unknown_peer', re: 'offer' });
    await a.send({ type: 'leave_room', room_id: room });
    expect(await b.next('peer_left')).toEqual({ type: 'peer_left', room_id: room, client_id: aId });
  });
});
