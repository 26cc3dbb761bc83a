import { bearer, type Frame, processCluster, signToken, SseTestClient, TEST_SECRET, TestClient } from '@switchboard/testing';

/**
 * Acknowledged, idempotent publishing (issue 17) with real processes on a real Redis: the api
 * and two gateways. A chat frame with `id` is acked with its offset once in the room's history;
 * the same id from the same user in the same room is published once, whichever replica gets it.
 */
describe('acknowledged publish across two replicas (api + two gateways on Redis)', () => {
  const cluster = processCluster(2, { JWT_SECRET: TEST_SECRET, WEBSOCKET_MESSAGE_RATE: '50', WEBSOCKET_MESSAGE_BURST: '40' });
  const clients: TestClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  const connect = async (gw: number, path: string, sub: string, ready: string) => {
    const c = await TestClient.connect(`${cluster.gws[gw].url}${path}`, { headers: bearer(signToken({ sub, username: sub, email: `${sub}@example.com` })) });
    clients.push(c);
    await c.next(ready);
    return c;
  };
  const chat = (c: TestClient) => c.frames.filter((f) => f.type === 'message' || f.type === 'room_message');

  it('the same id sent to both replicas is published once and acked twice with the same offset; receivers see it once', async () => {
    const [onA, onB] = [await connect(0, '/ws/dedup', 'ann', 'user_list'), await connect(1, '/ws/dedup', 'ann', 'user_list')];
    const receivers = [await connect(0, '/ws/dedup', 'rita', 'user_list'), await connect(1, '/api/v1/ws?channel_id=dedup', 'rolf', 'channel_joined')];
    onA.send({ type: 'message', room: 'dedup', content: 'once', id: 'msg-1' });
    onB.send({ type: 'message', room: 'dedup', content: 'once', id: 'msg-1' });
    const [ackA, ackB] = [await onA.next('ack'), await onB.next('ack')];
    expect(ackA).toEqual({ type: 'ack', id: 'msg-1', room: 'dedup', offset: 1, epoch: expect.any(String) });
    expect(ackB).toEqual(ackA);
    // Another user's same id, and a frame without id, are their own publications.
    const other = await connect(1, '/ws/dedup', 'bo', 'user_list');
    other.send({ type: 'message', room: 'dedup', content: 'mine', id: 'msg-1' });
    expect(await other.next('ack')).toMatchObject({ offset: 2, epoch: ackA.epoch });
    other.send({ type: 'message', room: 'dedup', content: 'plain' });
    for (const r of receivers) await r.next((f) => f.content === 'plain');
    for (const r of receivers) expect(chat(r).map((f) => [f.content, f.offset])).toEqual([['once', 1], ['mine', 2], ['plain', 3]]);
    expect(other.frames.filter((f) => f.type === 'ack')).toHaveLength(1);
  });

  it('acks seed 002 room_message and channel chat too, and refuses a bad id naming the field', async () => {
    const hub = await TestClient.connect(`${cluster.gws[0].url}/ws?user_id=hubber`);
    clients.push(hub);
    hub.send({ type: 'join_room', data: 'acks' });
    await hub.next('user_list');
    const channel = await connect(1, '/api/v1/ws?channel_id=acks', 'cara', 'channel_joined');
    hub.send({ type: 'room_message', id: 'r-1', data: { room: 'acks', message: 'from 002' } });
    expect(await hub.next('ack')).toMatchObject({ id: 'r-1', room: 'acks', offset: 1 });
    channel.send({ type: 'message', channel_id: 'acks', content: 'from a channel', id: 'c-1' });
    expect(await channel.next('ack')).toMatchObject({ id: 'c-1', room: 'acks', offset: 2 });
    expect(await hub.next('room_message')).toMatchObject({ data: { message: 'from 002' }, offset: 1 });
    expect(await hub.next('room_message')).toMatchObject({ data: { message: 'from a channel' }, offset: 2 });

    // Over SSE, POSTed to the other replica (forwarded to the stream's): acked on the stream, published once.
    const stream = await SseTestClient.open(`${cluster.gws[1].http}/sse/ws/acks?user_id=streamer`);
    try {
      await stream.next('user_list');
      for (let i = 0; i < 2; i++) await stream.send({ type: 'message', room: 'acks', content: 'over sse', id: 's-1' }, cluster.gws[0].http);
      expect(await stream.next('ack')).toMatchObject({ id: 's-1', room: 'acks', offset: 3 });
      expect(await stream.next('ack')).toMatchObject({ id: 's-1', room: 'acks', offset: 3 });
      expect(await hub.next('room_message')).toMatchObject({ data: { message: 'over sse' }, offset: 3 });
    } finally {
      await stream.close();
    }

    for (const id of ['', 'x'.repeat(65), 42]) {
      hub.send({ type: 'message', room: 'acks', content: 'bad', id });
      const error: Frame = await hub.next('error');
      expect(error).toMatchObject({ re: 'message', data: { code: 'bad_field' } });
      expect(error.content).toContain('"id"');
    }
    await hub.none((f) => (f.type === 'message' && f.content === 'bad') || (f.type === 'room_message' && f.offset === 4));
  });

  it('names the id of a refused publish in its error, so a client rejects that publish at once; a frame without id gets none', async () => {
    const c = await connect(0, '/ws/named', 'nina', 'user_list');
    c.send({ type: 'message', room: 'never-joined', content: 'lost?', id: 'n-1' });
    expect(await c.next('error')).toMatchObject({ re: 'message', room: 'never-joined', id: 'n-1', data: { code: 'not_in_room' } });
    c.send({ type: 'message', room: 'never-joined', content: 'plain' });
    const plain = await c.next('error');
    expect(plain).toMatchObject({ re: 'message', room: 'never-joined', data: { code: 'not_in_room' } });
    expect(plain).not.toHaveProperty('id');
    const channel = await connect(1, '/api/v1/ws?channel_id=named', 'nils', 'channel_joined');
    channel.send({ type: 'message', channel_id: 'elsewhere', content: 'lost?', id: 'c-9' });
    expect(await channel.next('error')).toMatchObject({ re: 'message', channel_id: 'elsewhere', id: 'c-9', code: 'not_in_room' });
  });

  it('POST /api/v1/messages with a repeated Idempotency-Key stores one message and publishes one new_message', async () => {
    const { call } = cluster;
    expect((await call('POST', '/auth/register', { username: 'poster', password: 'secret123', email: 'poster@example.com' })).status).toBe(201);
    const token = (await call('POST', '/auth/login', { username: 'poster', password: 'secret123' })).body.access_token as string;
    const watchers = [await connect(0, '/api/v1/ws?channel_id=idem', 'w1', 'channel_joined'), await connect(1, '/api/v1/ws?channel_id=idem', 'w2', 'channel_joined')];
    const post = (content: string, key?: string, channel = 'idem') =>
      call('POST', '/api/v1/messages', { channel_id: channel, content }, { ...bearer(token), ...(key === undefined ? {} : { 'Idempotency-Key': key }) });

    const first = await post('hello once', 'key-1');
    expect(first.status).toBe(201);
    const again = await Promise.all([post('hello once', 'key-1'), post('hello once', 'key-1')]);
    for (const r of again) expect(r).toEqual(first);
    expect((await post('to elsewhere', 'key-1', 'other')).status).toBe(409);
    expect((await post('bad key', ' spaced key')).status).toBe(400);
    const unkeyed = await post('no key');
    expect(unkeyed.body.data.id).not.toBe(first.body.data.id);

    for (const w of watchers) await w.next((f) => f.type === 'new_message' && (f.data as { id: string }).id === unkeyed.body.data.id);
    for (const w of watchers) expect(w.frames.filter((f) => f.type === 'new_message').map((f) => (f.data as { content: string }).content)).toEqual(['hello once', 'no key']);
    const history = await call('GET', '/api/v1/channels/idem/messages', undefined, bearer(token));
    expect(history.body.data.map((m: { content: string }) => m.content)).toEqual(['no key', 'hello once']);
  });

  it('announces its limits as the first frame on ?limits=1, or when asked with a limits frame; seed clients never see them', async () => {
    const expected = { type: 'limits', max_message_size: expect.any(Number), message_rate: 50, message_burst: 40, max_publish_id_length: 64, publish_dedup_window_ms: 120_000, join_cost: 2, resume_cost: 4, user_list_cost: 4 };
    const rooms = await TestClient.connect(`${cluster.gws[0].url}/ws/lim?user_id=lim&limits=1`);
    const signaling = await TestClient.connect(`${cluster.gws[1].url}/signaling?limits=1`, { headers: bearer(signToken({ sub: 'sig' })) });
    const seed = await TestClient.connect(`${cluster.gws[0].url}/ws/lim?user_id=seed`);
    const stream = await SseTestClient.open(`${cluster.gws[1].http}/sse/ws/lim?user_id=streamer&limits=1`);
    clients.push(rooms, signaling, seed);
    try {
      for (const c of [rooms, signaling, stream]) await c.next(c === signaling ? 'welcome' : 'user_list');
      const [roomsLimits, signalingLimits, streamLimits] = [rooms.frames[0], signaling.frames[0], stream.frames[0]];
      expect(roomsLimits).toEqual(expected);
      expect(streamLimits).toEqual(roomsLimits);
      expect(signalingLimits).toEqual({ ...expected, max_message_size: 64 * 1024 });
      await seed.next('user_list');
      // Its first frames are the room's (a notice of the streamer joining at the same time may come first): no limits.
      expect(seed.frames.filter((f) => f.type === 'limits')).toEqual([]);
      expect(await seed.ask({ type: 'limits' }, 'limits')).toEqual(roomsLimits);

      // The announced size is the real one: a frame of exactly that many bytes is taken, one more closes 1009.
      const max = roomsLimits.max_message_size as number;
      const frameOf = (bytes: number) => {
        const head = JSON.stringify({ type: 'message', room: 'lim', content: '', id: 'size' });
        return head.replace('"content":""', `"content":"${'x'.repeat(bytes - head.length)}"`);
      };
      rooms.ws.send(frameOf(max));
      expect(await rooms.next('ack')).toMatchObject({ id: 'size' });
      rooms.ws.send(frameOf(max + 1));
      expect(await rooms.closed).toBe(1009);
    } finally {
      await stream.close();
    }
  });
});
