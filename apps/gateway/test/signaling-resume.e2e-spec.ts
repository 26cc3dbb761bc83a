import { type AppProcess, redisGatewayEnv, RedisServer, rest, signToken, startAppProcess, TEST_SECRET, TestClient, until } from '@switchboard/testing';

/** WEBSOCKET_SIGNALING_RESUME_WINDOW of these gateways: long enough for a resume, short enough to wait out. */
const WINDOW_MS = 3000;

/**
 * Signaling peers that lose their connection (issue 18) and the ids and rooms of signaling
 * (issue 20: unguessable, a namespace of their own): the api and two gateway processes on a
 * real Redis, real `ws` clients.
 */
describe('signaling resume, ids and namespace', () => {
  let redis: RedisServer;
  let api: AppProcess;
  let gws: AppProcess[];
  let call: ReturnType<typeof rest>;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    redis = await RedisServer.start();
    const env = redisGatewayEnv(redis.url, TEST_SECRET, { WEBSOCKET_SIGNALING_RESUME_WINDOW: `${WINDOW_MS}ms` });
    api = await startAppProcess('api', { ...env, DATA_DIR: 'memory://' });
    gws = await Promise.all([startAppProcess('gateway', env, 30000), startAppProcess('gateway', env, 30000)]);
    call = rest(api.http);
  }, 60000);
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await Promise.all([api, ...(gws ?? [])].map((p) => p?.stop('SIGKILL')));
    await redis?.destroy();
  });

  const open = async (url: string) => {
    const c = await TestClient.connect(url);
    clients.push(c);
    return c;
  };
  const credential = (sub: string) => `token=${signToken({ sub, username: sub })}`;
  /** A signaling peer on replica `i`, past its `welcome`. */
  const peer = async (i: number, sub = 'user', query = credential(sub)) => {
    const c = await open(`${gws[i].url}/signaling?${query}`);
    const welcome = await c.next('welcome');
    return Object.assign(c, { id: welcome.client_id as number, token: welcome.resume_token as string, query });
  };
  const create = async (c: TestClient) => (await c.ask({ type: 'create_room' }, 'room_created')).room_id as number;
  /** Ends the TCP connection without a close frame: a lost connection, as a dead network or a dead replica leaves it. */
  const lose = async (c: TestClient) => {
    c.ws.terminate();
    await c.closed;
  };

  it('resumes a lost peer on the other replica with its id and rooms; meanwhile relays to it say it is reconnecting and nobody sees peer_left', async () => {
    const a = await peer(0, 'ann');
    const b = await peer(1, 'ben');
    const room = await create(a);
    await b.ask({ type: 'join_room', room_id: room }, 'room_joined');
    await a.next('peer_joined');

    await lose(a);
    // Until ann's replica has seen the TCP connection end, offers still go to it (and are lost).
    const answer = await until('an offer to the lost peer to be answered with an error', 10_000, async () => {
      b.send({ type: 'offer', to: a.id, data: { sdp: 'while away' } });
      return await b.next('error', 250).catch(() => undefined);
    });
    expect(answer).toMatchObject({ code: 'peer_reconnecting', re: 'offer' });

    const back = await open(`${gws[1].url}/signaling?${a.query}&resume=${encodeURIComponent(a.token)}`);
    const resumed = await back.next('resumed');
    expect(resumed).toMatchObject({ client_id: a.id, rooms: [{ room_id: room, peers: [b.id] }] });
    expect(typeof resumed.resume_token).toBe('string');
    expect(back.frames.some((f) => f.type === 'welcome')).toBe(false);

    b.send({ type: 'offer', to: a.id, data: { sdp: 'after' } });
    expect(await back.next('offer')).toEqual({ type: 'offer', from: b.id, data: { sdp: 'after' } });
    back.send({ type: 'answer', to: b.id, data: { sdp: 'back' } });
    expect(await b.next('answer')).toMatchObject({ from: a.id });
    // Past the window: still no peer_left for a.
    await b.none('peer_left', WINDOW_MS + 1000);
  });

  it('resumes with a first frame after welcome, and takes the peer off a connection that still holds it', async () => {
    const a = await peer(0, 'cat');
    const b = await peer(1, 'dan');
    const room = await create(a);
    await b.ask({ type: 'join_room', room_id: room }, 'room_joined');

    // a's old connection is still open (half-open as the server sees it) when it resumes elsewhere.
    const fresh = await peer(1, 'cat');
    const resumed = await fresh.ask({ type: 'resume', token: a.token }, 'resumed');
    expect(resumed).toMatchObject({ client_id: a.id, rooms: [{ room_id: room, peers: [b.id] }] });
    expect(await a.closed).toBe(4002);
    b.send({ type: 'ice_candidate', to: a.id, data: { candidate: 'c' } });
    expect(await fresh.next('ice_candidate')).toMatchObject({ from: b.id });
    await b.none('peer_left', 500);
    // The id welcome gave it first is nobody's.
    b.send({ type: 'offer', to: fresh.id, data: {} });
    expect(await b.next('error')).toMatchObject({ code: 'unknown_peer' });
  });

  it('after the window: resume_failed and a fresh id on the same connection, and the room got peer_left', async () => {
    const a = await peer(0, 'eve');
    const b = await peer(1, 'fay');
    const room = await create(a);
    await b.ask({ type: 'join_room', room_id: room }, 'room_joined');
    await lose(a);
    expect(await b.next('peer_left', WINDOW_MS + 5000)).toEqual({ type: 'peer_left', room_id: room, client_id: a.id });

    const late = await open(`${gws[1].url}/signaling?${a.query}&resume=${encodeURIComponent(a.token)}`);
    expect(await late.next('error')).toMatchObject({ code: 'resume_failed', re: 'resume' });
    const welcome = await late.next('welcome');
    expect(welcome.client_id).not.toBe(a.id);
  });

  it('refuses a resume to another user, to a forged token, and after the credential it was issued to was replaced', async () => {
    const a = await peer(0, 'gil');
    await create(a);
    await lose(a);
    const thief = await open(`${gws[1].url}/signaling?${credential('mallory')}&resume=${encodeURIComponent(a.token)}`);
    expect(await thief.next('error')).toMatchObject({ code: 'resume_failed' });
    expect((await thief.next('welcome')).client_id).not.toBe(a.id);
    const [body, sig] = a.token.split('.');
    const forged = `${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), userId: 'mallory' })).toString('base64url')}.${sig}`;
    const forger = await open(`${gws[1].url}/signaling?${credential('mallory')}&resume=${encodeURIComponent(forged)}`);
    expect(await forger.next('error')).toMatchObject({ code: 'resume_failed' });

    const registered = await call('POST', '/auth/register', { username: 'resumer', email: 'resumer@example.com', password: 'secret123' });
    const oldKey = registered.body.api_key as string;
    const k = await peer(0, 'resumer', `api_key=${encodeURIComponent(oldKey)}`);
    await create(k);
    await lose(k);
    const regen = await call('POST', '/auth/regenerate', undefined, { 'X-API-Key': oldKey });
    expect(regen.status).toBe(200);
    const revoked = await open(`${gws[1].url}/signaling?api_key=${encodeURIComponent(regen.body.api_key as string)}&resume=${encodeURIComponent(k.token)}`);
    expect(await revoked.next('error')).toMatchObject({ code: 'resume_failed', message: expect.stringMatching(/revoked/) });
  });

  it('gives unguessable room ids: a room id near your own welcome id or room id is nobody\'s room', async () => {
    const victim = await peer(0, 'victim');
    const secret = await create(victim);
    const attacker = await peer(1, 'attacker');
    const own = await create(attacker);
    const guesses = new Set<number>();
    for (const base of [attacker.id, own]) for (let k = -20; k <= 20; k++) if (k !== 0 && base + k > 0) guesses.add(base + k);
    guesses.delete(own);
    const probe = await peer(1, 'attacker');
    for (const guess of guesses) {
      probe.send({ type: 'join_room', room_id: guess });
      expect(await probe.next('error')).toMatchObject({ code: 'no_such_room' });
    }
    expect(guesses.has(secret)).toBe(false);
    await victim.none('peer_joined', 200);
  });

  it('keeps signaling rooms apart from chat rooms: /ws/<room id> guests never join, fill or show up in a signaling room', async () => {
    const a = await peer(0, 'host');
    const room = await create(a);
    const guests = await Promise.all(Array.from({ length: 16 }, (_, i) => open(`${gws[i % 2].url}/ws/${room}?user_id=guest${i}`)));
    await Promise.all(guests.map((g) => g.next('user_list')));
    await a.none('peer_joined', 300);
    const b = await peer(1, 'joiner');
    expect(await b.ask({ type: 'join_room', room_id: room }, 'room_joined')).toMatchObject({ peers: [a.id] });
    expect(await a.next('peer_joined')).toMatchObject({ client_id: b.id });
    // And the guests never hear of the peers.
    for (const g of guests) expect(g.frames.every((f) => f.type === 'user_list' || f.type === 'join' || f.type === 'user_joined')).toBe(true);
    const list = guests[0].frames.find((f) => f.type === 'user_list')!;
    expect(JSON.stringify(list)).not.toMatch(/host|joiner/);
  });
});
