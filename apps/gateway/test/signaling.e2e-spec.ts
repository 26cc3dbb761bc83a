import { type AppProcess, metric, redisGatewayEnv, RedisServer, signToken, startAppProcess, TEST_CONNECTION_TIMEOUT_MS, TEST_HEARTBEAT_MS, TEST_SECRET, TestClient, until, upgradeStatus } from '@switchboard/testing';

/** WEBSOCKET_SIGNALING_RESUME_WINDOW of these gateways. */
const RESUME_WINDOW_MS = 2000;

/**
 * How soon after a replica is killed its rooms hear `peer_left` (apps/gateway/src/cluster/presence-keeper.ts,
 * libs/presence): the replica is dead WEBSOCKET_CONNECTION_TIMEOUT after its last heartbeat, which came
 * before the kill; a live replica's next heartbeat, at most one interval later, hands its peers
 * their resume window, counted from that last heartbeat (at least until then); the first heartbeat
 * after the window expires them and publishes the `leave`. The margin: one more interval, since a
 * beat that finds the previous refresh still running joins it rather than starting another, and
 * 500 ms for that refresh's Redis round trips and the bus hop on a loaded machine.
 */
const PEER_LEFT_WITHIN_MS = Math.max(RESUME_WINDOW_MS, TEST_CONNECTION_TIMEOUT_MS + TEST_HEARTBEAT_MS) + TEST_HEARTBEAT_MS + (TEST_HEARTBEAT_MS + 500);

/** The signaling dialect (seed 004) on two real gateway processes over a real Redis. */
describe('signaling across replicas', () => {
  let redis: RedisServer;
  const gws: AppProcess[] = [];
  const clients: TestClient[] = [];
  const env = () =>
    redisGatewayEnv(redis.url, TEST_SECRET, {
      WEBSOCKET_DRAIN_TIMEOUT: '200ms',
      WEBSOCKET_SIGNALING_MAX_PEERS: '3',
      WEBSOCKET_SIGNALING_MAX_MESSAGE_SIZE: '16384',
      WEBSOCKET_SIGNALING_RESUME_WINDOW: `${RESUME_WINDOW_MS}ms`,
    });
  /** A signaling peer on `gw`, past its `welcome`. */
  const peer = async (gw: AppProcess, sub = 'user') => {
    const c = await TestClient.connect(`${gw.url}/signaling?token=${signToken({ sub, username: sub })}`);
    clients.push(c);
    const welcome = await c.next('welcome');
    return Object.assign(c, { id: welcome.client_id as number });
  };
  const create = async (c: TestClient) => (await c.ask({ type: 'create_room' }, 'room_created')).room_id as number;

  beforeAll(async () => {
    redis = await RedisServer.start();
    gws.push(...(await Promise.all([1, 2].map(() => startAppProcess('gateway', env())))));
  }, 60000);
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await Promise.all(gws.map((g) => g.stop('SIGKILL')));
    await redis.destroy();
  });

  it('welcomes with integer ids, creates, joins across replicas and relays offer/answer/ice_candidate both ways', async () => {
    const [g1, g2] = gws;
    const a = await peer(g1, 'ann');
    const b = await peer(g2, 'ben');
    for (const id of [a.id, b.id]) expect(Number.isSafeInteger(id) && id > 0).toBe(true);
    expect(a.id).not.toBe(b.id);

    const room = await create(a);
    expect(Number.isSafeInteger(room) && room > 0).toBe(true);
    expect(await b.ask({ type: 'join_room', room_id: room }, 'room_joined')).toEqual({ type: 'room_joined', room_id: room, peers: [a.id] });
    expect(await a.next('peer_joined')).toEqual({ type: 'peer_joined', room_id: room, client_id: b.id });

    const peerEvents = () => Promise.all([g1, g2].map((g) => metric(g, 'switchboard_bus_delivered_total{topic_kind="peer"}')));
    const [before1, before2] = await peerEvents();
    const offer = { type: 'offer', sdp: `v=0\r\n${'a=x\r\n'.repeat(1500)}` }; // ~9 KB: above WEBSOCKET_MAX_MESSAGE_SIZE
    b.send({ type: 'offer', to: a.id, data: offer });
    expect(await a.next('offer')).toEqual({ type: 'offer', from: b.id, data: offer });
    a.send({ type: 'answer', to: b.id, data: { type: 'answer', sdp: 'v=0' } });
    expect(await b.next('answer')).toEqual({ type: 'answer', from: a.id, data: { type: 'answer', sdp: 'v=0' } });
    for (let i = 0; i < 5; i++) b.send({ type: 'ice_candidate', to: a.id, data: { candidate: `c${i}` } });
    for (let i = 0; i < 5; i++) expect(await a.next('ice_candidate')).toEqual({ type: 'ice_candidate', from: b.id, data: { candidate: `c${i}` } });
    expect(await a.ask({ type: 'ping' }, 'pong')).toMatchObject({ type: 'pong' });
    // Each relay reached only the addressee's replica: 6 to a's (offer, 5 candidates), 1 to b's (answer).
    const [after1, after2] = await peerEvents();
    expect([after1 - before1, after2 - before2]).toEqual([6, 1]);

    b.send({ type: 'leave_room', room_id: room });
    expect(await a.next('peer_left')).toEqual({ type: 'peer_left', room_id: room, client_id: b.id });
    b.send({ type: 'ice_candidate', to: a.id, data: {} });
    expect(await b.next('error')).toMatchObject({ code: 'not_in_room' });
  });

  it('lists peers on every replica, caps the room, and refuses a room that does not exist', async () => {
    const [g1, g2] = gws;
    const a = await peer(g1);
    const room = await create(a);
    const b = await peer(g2);
    await b.ask({ type: 'join_room', room_id: room }, 'room_joined');
    const c = await peer(g1);
    const joined = await c.ask({ type: 'join_room', room_id: String(room) }, 'room_joined');
    expect((joined.peers as number[]).sort()).toEqual([a.id, b.id].sort());
    const d = await peer(g2);
    expect(await d.ask({ type: 'join_room', room_id: room }, 'error')).toMatchObject({ code: 'room_full', message: expect.stringMatching(/room full/) });
    expect(await d.ask({ type: 'join_room', room_id: 987654321 }, 'error')).toMatchObject({ code: 'no_such_room' });
    // A room exists while it has members: once all left, joining it fails.
    await Promise.all([a.close(), b.close(), c.close()]);
    await until('the emptied room to be gone', 8000, async () => {
      const e = await peer(g2); // a newcomer each time: one that got in would make the room exist again
      e.send({ type: 'join_room', room_id: room });
      const answer = await e.next((f) => f.type === 'error' || f.type === 'room_joined');
      await e.close();
      return answer.code === 'no_such_room';
    });
  });

  it('relays only within a common room: another room, an unknown peer and a malformed frame get error, nothing delivered', async () => {
    const [g1, g2] = gws;
    const a = await peer(g1);
    const b = await peer(g2);
    const c = await peer(g2);
    const roomAB = await create(a);
    await b.ask({ type: 'join_room', room_id: roomAB }, 'room_joined');
    await create(c); // c is in a room of its own

    a.send({ type: 'offer', to: c.id, data: { sdp: 'secret' } });
    expect(await a.next('error')).toMatchObject({ code: 'unknown_peer', message: expect.stringMatching(/not in any of your rooms/) });
    a.send({ type: 'offer', to: 9007199254740991, data: {} });
    expect(await a.next('error')).toMatchObject({ code: 'unknown_peer', message: expect.stringMatching(/not connected/) });
    await c.none('offer', 500);

    const malformed = [
      'not json',
      '[]',
      '{"no":"type"}',
      '{"type":"launch"}',
      '{"type":"join_room"}',
      '{"type":"join_room","room_id":-1}',
      '{"type":"offer","data":{}}',
      '{"type":"offer","to":"bob","data":{}}',
      `{"type":"answer","to":${b.id}}`,
      '{"type":"leave_room","room_id":{}}',
    ];
    for (const raw of malformed) {
      a.send(raw);
      expect(await a.next('error')).toMatchObject({ type: 'error', code: expect.any(String), message: expect.any(String) });
    }
    a.send({ type: 'offer', to: b.id, data: { sdp: 'still works' } });
    expect(await b.next('offer')).toEqual({ type: 'offer', from: a.id, data: { sdp: 'still works' } });
  });

  it('needs a credential, keeps its own frame size limit, and counts frames against the rate limit', async () => {
    const [g1] = gws;
    expect((await upgradeStatus(`${g1.url}/signaling`)).status).toBe(401);
    expect((await upgradeStatus(`${g1.url}/signaling?token=forged`)).status).toBe(401);
    const a = await peer(g1);
    a.send({ type: 'offer', to: 1, data: 'x'.repeat(20000) }); // over WEBSOCKET_SIGNALING_MAX_MESSAGE_SIZE
    expect(await a.closed).toBe(1009);

    const b = await peer(g1);
    for (let i = 0; i < 150; i++) b.send({ type: 'ping' }); // default burst 100
    expect(await b.next('error')).toMatchObject({ code: 'rate_limited' });
  });

  it('tells the room peer_left within the resume window and a few heartbeats when a replica is SIGKILLed, and never reuses ids after a restart', async () => {
    const doomed = await startAppProcess('gateway', env());
    const a = await peer(gws[0]);
    const room = await create(a);
    const b = await peer(doomed);
    await b.ask({ type: 'join_room', room_id: room }, 'room_joined');
    await a.next('peer_joined');
    const seen = new Set([a.id, b.id, room]);
    await doomed.stop('SIGKILL');
    const killedAt = Date.now();
    // Waits past the bound so that a late peer_left is measured, not only missed.
    expect(await a.next('peer_left', PEER_LEFT_WITHIN_MS + 5000)).toEqual({ type: 'peer_left', room_id: room, client_id: b.id });
    expect(Date.now() - killedAt).toBeLessThanOrEqual(PEER_LEFT_WITHIN_MS);

    const again = await startAppProcess('gateway', env());
    try {
      const c = await peer(again);
      const r = await create(c);
      expect(seen.has(c.id) || seen.has(r)).toBe(false);
      await c.close();
    } finally {
      await again.stop('SIGKILL');
    }
  });
});
