import { type AppProcess, type FrameLog, isMessageIn, lastPosition, redisGatewayEnv, RedisServer, SseTestClient, seenIn, sinceQuery, sleep, startAppProcess, TEST_SECRET, TestClient, tokenOf, until } from '@switchboard/testing';

/** Sends `count` numbered messages to `room` at `perSecond`, as `sender`; resolves when all are sent. */
async function pace(sender: TestClient, room: string, count: number, perSecond: number, label = 'm'): Promise<string[]> {
  const texts: string[] = [];
  const started = Date.now();
  for (let i = 0; i < count; i++) {
    const at = started + (i * 1000) / perSecond;
    if (at > Date.now()) await sleep(at - Date.now());
    const text = `${label}${i}`;
    sender.send({ type: 'message', room, content: text });
    texts.push(text);
  }
  return texts;
}

/** The texts of a room's messages across the clients a session used, in the order received, and whether their offsets run without a gap. */
function received(clients: FrameLog[], room: string): { texts: string[]; offsets: number[] } {
  const seen = clients.flatMap((c) => seenIn(c, room));
  return { texts: seen.map((s) => s.text), offsets: seen.map((s) => s.offset) };
}

/** Resuming an SSE session: EventSource's reconnect with Last-Event-ID on any replica, a drain, and moving between transports. */
describe('SSE sessions resume', () => {
  let redis: RedisServer;
  const gws: AppProcess[] = [];
  const open: Array<{ close(): Promise<unknown> }> = [];
  const env = () => redisGatewayEnv(redis.url, TEST_SECRET, { WEBSOCKET_DRAIN_TIMEOUT: '300ms' });
  const track = <T extends { close(): Promise<unknown> }>(c: T): T => (open.push(c), c);

  beforeAll(async () => {
    redis = await RedisServer.start();
    gws.push(...(await Promise.all([1, 2].map(() => startAppProcess('gateway', env())))));
  }, 60000);
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await Promise.all(gws.map((g) => g.stop('SIGKILL')));
    await redis.destroy();
  });

  it('a stream reopened with its Last-Event-ID on the other replica resumes every room from its offsets: nothing lost, nothing twice', async () => {
    const [g1, g2] = gws;
    const sender = track(await TestClient.connect(`${g2.url}/ws?user_id=sender`));
    sender.send({ type: 'join', room: 'r-a' });
    sender.send({ type: 'join', room: 'r-b' });
    await sender.next('user_list');
    await sender.next('user_list');

    const first = track(await SseTestClient.open(`${g1.http}/sse/ws/r-a?user_id=reader`));
    await first.next('user_list');
    // A second room, joined seed 002's way (join_room: room_message frames).
    await first.send({ type: 'join_room', data: 'r-b' });
    await first.next((f) => f.type === 'user_list' && f.room === 'r-b');
    const sending = Promise.all([pace(sender, 'r-a', 60, 100, 'a'), pace(sender, 'r-b', 60, 100, 'b')]);
    await until('some messages in both rooms', 5000, () => seenIn(first, 'r-a').length > 10 && seenIn(first, 'r-b').length > 10);
    await first.close();
    await sleep(100); // messages go on meanwhile
    const second = track(await first.reopen(`${g2.http}/sse/ws/r-a?user_id=reader`));
    const [a, b] = await sending;
    await until('every message of both rooms', 10_000, () => received([first, second], 'r-a').texts.length >= 60 && received([first, second], 'r-b').texts.length >= 60);

    for (const [room, texts] of [['r-a', a], ['r-b', b]] as const) {
      const got = received([first, second], room);
      expect(got.texts).toEqual(texts);
      expect(got.offsets).toEqual(got.offsets.map((_, i) => got.offsets[0] + i));
    }
    // Both rooms were joined again, each in its own style.
    expect(second.frames.filter((f) => f.type === 'user_list').map((f) => [f.room, f.recovered])).toEqual([
      ['r-a', true],
      ['r-b', true],
    ]);
    expect(second.frames.some((f) => f.type === 'room_message' && f.room === 'r-b')).toBe(true);
    expect(second.frames.some((f) => f.type === 'message' && f.room === 'r-b')).toBe(false);
  }, 30_000);

  it('a stream whose rooms had no history yet resumes them with the tokens its id carries; an id stripped of them replays nothing', async () => {
    const [g1, g2] = gws;
    const first = track(await SseTestClient.open(`${g1.http}/sse/ws/q-a?user_id=quiet`));
    expect(await first.next('user_list')).toMatchObject({ offset: 0, epoch: expect.stringMatching(/^~/), resume_token: expect.any(String) });
    await first.send({ type: 'join', room: 'q-b' });
    await first.next((f) => f.type === 'user_list' && f.room === 'q-b');
    await until('an event id naming both rooms', 5000, () => (first.lastEventId ?? '').includes('q-b'));
    await first.close();
    const sender = track(await TestClient.connect(`${g2.url}/ws?user_id=sender`));
    for (const room of ['q-a', 'q-b']) {
      sender.send({ type: 'join', room });
      await sender.next((f) => f.type === 'user_list' && f.room === room);
      sender.send({ type: 'message', room, content: `missed in ${room}` });
    }
    await until('both sent', 5000, () => seenIn(sender, 'q-b').length === 1);
    // An id without its tokens (as another client could forge one): the rooms are joined, nothing replayed.
    const stripped = track(await SseTestClient.open(`${g2.http}/sse/ws/q-a?user_id=quiet`, { lastEventId: first.lastEventId!.replace(/~[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+(?=,|$)/g, '') }));
    const refused = [await stripped.next('user_list'), await stripped.next('user_list')];
    expect(refused.map((f) => [f.room, f.recovered, f.gap])).toEqual([
      ['q-a', false, 'resume_token_missing'],
      ['q-b', false, 'resume_token_missing'],
    ]);
    await stripped.close();
    const second = track(await first.reopen(`${g2.http}/sse/ws/q-a?user_id=quiet`));
    await until('both missed messages', 5000, () => seenIn(second, 'q-a').length === 1 && seenIn(second, 'q-b').length === 1);
    expect(second.frames.filter((f) => f.type === 'user_list').map((f) => [f.room, f.recovered])).toEqual([
      ['q-a', true],
      ['q-b', true],
    ]);
    expect(seenIn(stripped, 'q-a')).toEqual([]);
  }, 30_000);

  it('a drained replica ends its streams with 1012; reopened elsewhere from Last-Event-ID, every message arrives once, in order', async () => {
    const [g1] = gws;
    const doomed = await startAppProcess('gateway', env());
    try {
      const sender = track(await TestClient.connect(`${g1.url}/ws/drained?user_id=sender`));
      await sender.next('user_list');
      const first = await SseTestClient.open(`${doomed.http}/sse/ws/drained?user_id=reader`);
      await first.next('user_list');
      const sending = pace(sender, 'drained', 100, 50);
      await until('a few messages', 5000, () => seenIn(first, 'drained').length >= 10);
      doomed.proc.kill('SIGTERM');
      expect(await first.closed).toBe(1012);
      expect(first.closeReason).toBe('server restarting');
      const second = track(await first.reopen(`${g1.http}/sse/ws/drained?user_id=reader`));
      const texts = await sending;
      await until('every message', 10_000, () => received([first, second], 'drained').texts.length >= texts.length);
      expect(received([first, second], 'drained').texts).toEqual(texts);
      expect(await doomed.exited).toBe(0);
    } finally {
      await doomed.stop('SIGKILL');
    }
  }, 30_000);

  it('a session moves WebSocket → SSE → WebSocket under 50 messages/s, presenting its positions: nothing lost or repeated', async () => {
    const [g1, g2] = gws;
    const room = 'moving';
    const sender = track(await TestClient.connect(`${g2.url}/ws/${room}?user_id=sender`));
    await sender.next('user_list');
    // A hand-written client that switches transports and resumes by offset with its newest resume token, as the client library will.
    const since = (c: FrameLog) => sinceQuery({ ...lastPosition(c, room), ...tokenOf(c, room) });
    const viaWs = track(await TestClient.connect(`${g1.url}/ws/${room}?user_id=mover`));
    await viaWs.next('user_list');
    const sending = pace(sender, room, 150, 50);
    await until('messages over the WebSocket', 5000, () => seenIn(viaWs, room).length >= 30);
    await viaWs.close();
    const viaSse = track(await SseTestClient.open(`${g2.http}/sse/ws/${room}?user_id=mover&${since(viaWs)}`));
    expect(await viaSse.next('user_list')).toMatchObject({ recovered: true });
    await until('messages over SSE', 5000, () => seenIn(viaSse, room).length >= 30);
    await viaSse.close();
    const back = track(await TestClient.connect(`${g1.url}/ws/${room}?user_id=mover&${since(viaSse)}`));
    expect(await back.next('user_list')).toMatchObject({ recovered: true });
    const texts = await sending;
    await until('every message', 10_000, () => received([viaWs, viaSse, back], room).texts.length >= texts.length);
    const got = received([viaWs, viaSse, back], room);
    expect(got.texts).toEqual(texts);
    expect(new Set(got.offsets).size).toBe(got.offsets.length);
    expect(viaSse.frames.filter((f) => isMessageIn(f, room)).length).toBeGreaterThanOrEqual(30);
  }, 30_000);
});
