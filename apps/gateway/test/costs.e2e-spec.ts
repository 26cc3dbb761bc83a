import { type AppProcess, lastPosition, metric, redisGatewayEnv, RedisServer, seenIn, startAppProcess, TEST_SECRET, TestClient, until, waitFor } from '@switchboard/testing';

/**
 * Limits that count cost, not frames: joins, resumes and `user_list` take more of a
 * connection's rate limit, and what a connection's own requests make the server send is
 * capped (WEBSOCKET_REPLY_RATE). Real gateway processes on a real Redis, real ws clients.
 */
describe('cost-aware limits', () => {
  let redis: RedisServer;
  let a: AppProcess;
  let b: AppProcess;
  const clients: TestClient[] = [];
  const connect = async (url: string) => {
    const c = await TestClient.connect(url);
    clients.push(c);
    return c;
  };
  const room = 'costly';
  let epoch: string;
  const isRateLimited = (f: Record<string, unknown>) => f.type === 'error' && (f.data as { code?: string } | undefined)?.code === 'rate_limited';

  beforeAll(async () => {
    redis = await RedisServer.start();
    // Open history (the attack of issue 20 before resume tokens): every resume is a real 90-message replay.
    const env = redisGatewayEnv(redis.url, TEST_SECRET, { WEBSOCKET_HISTORY_PUBLIC: 'true' });
    [a, b] = await Promise.all([startAppProcess('gateway', env), startAppProcess('gateway', env)]);
    const writer = await connect(`${a.url}/ws/${room}?user_id=writer`);
    await writer.next('user_list');
    for (let i = 0; i < 90; i++) writer.send({ type: 'message', room, content: `m${i} ${'x'.repeat(100)}` });
    await until('90 messages in the history', 10_000, () => seenIn(writer, room).length === 90);
    epoch = lastPosition(writer, room).epoch;
  }, 30_000);

  afterAll(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all([a, b].map((g) => g?.stop('SIGKILL')));
    await redis?.destroy();
  });

  it('30 connections spamming resumes are refused and closed 1008; a bystander on the same replica is served in full', async () => {
    const replaysBefore = await metric(a, 'switchboard_resumes_total{recovered="true"}');
    const bystander = await connect(`${a.url}/ws/calm?user_id=bystander`);
    await bystander.next('user_list');
    const spammers = await Promise.all(Array.from({ length: 30 }, (_, i) => connect(`${a.url}/ws?user_id=spam${i}`)));
    const asked = 150;
    for (const s of spammers) {
      for (let i = 0; i < asked; i++) {
        s.send({ type: 'join', room, since: { offset: 0, epoch } });
        s.send({ type: 'leave', room });
      }
    }
    // The bystander goes on as usual meanwhile: every ping answered, every message delivered.
    for (let i = 0; i < 20; i++) {
      expect(await bystander.ask({ type: 'ping' }, 'pong')).toMatchObject({ type: 'pong' });
      bystander.send({ type: 'message', room: 'calm', content: `calm ${i}` });
      await waitFor(bystander, 'calm', `calm ${i}`);
    }
    await until('every spammer closed', 20_000, () => spammers.every((s) => s.closeCode !== undefined));
    expect(spammers.map((s) => s.closeCode)).toEqual(spammers.map(() => 1008));
    for (const s of spammers) expect(s.frames.filter(isRateLimited).length).toBeGreaterThanOrEqual(1);
    // What the server did: at most a burst's worth of replays per spammer (100 tokens / (4 + 1) per resume and leave), not 150.
    const served = spammers.map((s) => s.frames.filter((f) => f.type === 'user_list' && f.recovered === true).length);
    for (const n of served) expect(n).toBeLessThanOrEqual(25);
    expect((await metric(a, 'switchboard_resumes_total{recovered="true"}')) - replaysBefore).toBe(served.reduce((x, y) => x + y, 0));
    // The bystander was never limited, and its own resume is served whole.
    bystander.send({ type: 'join', room, since: { offset: 0, epoch } });
    expect(await bystander.next((f) => f.type === 'user_list' && f.room === room)).toMatchObject({ recovered: true, offset: 90 });
    await until('the whole replay', 10_000, () => seenIn(bystander, room).length === 90);
    expect(bystander.frames.filter((f) => f.type === 'error')).toEqual([]);
    expect(bystander.closeCode).toBeUndefined();
  }, 60_000);

  it('a user_list spammer gets rate_limited, then 1008; another client of the replica is not affected', async () => {
    const spammer = await connect(`${b.url}/ws?user_id=lister`);
    for (let i = 0; i < 100; i++) spammer.send({ type: 'user_list', room });
    expect(await spammer.next(isRateLimited)).toMatchObject({ re: 'user_list', data: { code: 'rate_limited' } });
    expect(await spammer.closed).toBe(1008);
    const lists = spammer.frames.filter((f) => f.type === 'user_list');
    expect(lists.length).toBeGreaterThan(0);
    expect(lists.length).toBeLessThanOrEqual(26);
    // Another client of the same replica is not affected.
    const other = await connect(`${b.url}/ws?user_id=other`);
    expect(await other.ask({ type: 'user_list', room }, 'user_list')).toMatchObject({ room, data: expect.arrayContaining(['bystander']) });
  }, 30_000);

  it('past WEBSOCKET_REPLY_BURST of replies, a connection\'s costly requests are refused with rate_limited until the rate refills', async () => {
    const env = redisGatewayEnv(redis.url, TEST_SECRET, {
      WEBSOCKET_HISTORY_PUBLIC: 'true',
      WEBSOCKET_MESSAGE_RATE: '1000',
      WEBSOCKET_MESSAGE_BURST: '1000',
      WEBSOCKET_REPLY_BURST: '4096',
      WEBSOCKET_REPLY_RATE: '1024',
    });
    const c = await startAppProcess('gateway', env);
    try {
      const greedy = await connect(`${c.url}/ws?user_id=greedy`);
      // One replay is ~16 KB: 12 KB past the burst, 12 s to refill at 1 KB/s.
      for (let i = 0; i < 5; i++) {
        greedy.send({ type: 'join', room, since: { offset: 0, epoch } });
        greedy.send({ type: 'leave', room });
      }
      expect(await greedy.next(isRateLimited)).toMatchObject({ re: 'join', room });
      await greedy.ask({ type: 'ping' }, 'pong');
      expect(greedy.frames.filter((f) => f.type === 'user_list' && f.recovered === true)).toHaveLength(1);
      expect(seenIn(greedy, room)).toHaveLength(90);
      expect(greedy.closeCode).toBeUndefined();
      expect(await metric(c, 'switchboard_resumes_total{recovered="true"}')).toBe(1);
    } finally {
      await c.stop('SIGKILL');
    }
  }, 30_000);
});
