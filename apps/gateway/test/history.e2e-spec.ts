import { type AppProcess, confirmation, isMessageIn, lastPosition, redisGatewayEnv, RedisServer, seenIn, signToken, startAppProcess, startRedisCluster, TEST_SECRET, TestClient, until, upgradeStatus, waitFor } from '@switchboard/testing';

const texts = (from: number, to: number, prefix = 'm') => Array.from({ length: to - from }, (_, i) => `${prefix}${from + i}`);

/** Resume after reconnect: real gateway processes on a real Redis, real ws clients. */
describe('history and resume', () => {
  const gws: AppProcess[] = [];
  const clients: TestClient[] = [];
  const redises: RedisServer[] = [];
  const env = (redis: RedisServer, extra: Record<string, string> = {}) => redisGatewayEnv(redis.url, TEST_SECRET, { WEBSOCKET_DRAIN_TIMEOUT: '300ms', ...extra });
  const gateway = async (redis: RedisServer, extra?: Record<string, string>) => {
    const gw = await startAppProcess('gateway', env(redis, extra));
    gws.push(gw);
    return gw;
  };
  const connect = async (url: string) => {
    const c = await TestClient.connect(url);
    clients.push(c);
    return c;
  };
  const redis = async (args: string[] = []) => {
    const r = await RedisServer.start(args);
    redises.push(r);
    return r;
  };
  const say = (c: TestClient, room: string, content: string) => c.send({ type: 'message', room, content });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(gws.splice(0).map((g) => g.stop('SIGKILL')));
    await Promise.all(redises.splice(0).map((r) => r.destroy()));
  });

  it('a client drained with 1012 resumes on another replica with every missed message once, in order, by path, join, join_room or join_channel', async () => {
    const r = await redis();
    const [a, b] = await Promise.all([gateway(r), gateway(r)]);
    const room = 'resume-drain';
    const token = signToken({ sub: 'carol', username: 'carol', email: 'carol@example.com' });
    const byPath = await connect(`${a.url}/ws/${room}?user_id=ann`);
    const byJoin = await connect(`${a.url}/ws?user_id=bob`);
    byJoin.send({ type: 'join', room });
    const byJoinRoom = await connect(`${a.url}/ws?user_id=dan`);
    byJoinRoom.send({ type: 'join_room', data: room });
    const byChannel = await connect(`${a.url}/api/v1/ws?channel_id=${room}&token=${token}`);
    const writer = await connect(`${b.url}/ws/${room}?user_id=writer`);
    const joined = await byPath.next('user_list');
    expect(joined).toMatchObject({ offset: 0, epoch: expect.any(String) });
    expect(joined).not.toHaveProperty('recovered');
    await byJoin.next('user_list');
    // An empty room's position names the moment it was read (Redis stores nothing for it).
    expect(await byJoinRoom.next('user_list')).toMatchObject({ offset: 0, epoch: expect.any(String) });
    expect(await byChannel.next(confirmation)).toMatchObject({ channel_id: room, offset: 0, epoch: expect.any(String) });
    await writer.next('user_list');

    for (const t of texts(0, 5)) say(writer, room, t);
    for (const c of [byPath, byJoin, byJoinRoom, byChannel]) await waitFor(c, room, 'm4');
    const at = lastPosition(byPath, room);
    expect(at).toEqual({ offset: 5, epoch: expect.any(String) });
    expect(seenIn(byChannel, room).map((s) => s.offset)).toEqual([1, 2, 3, 4, 5]);

    a.proc.kill('SIGTERM');
    expect(await Promise.all([byPath.closed, byJoin.closed, byJoinRoom.closed, byChannel.closed])).toEqual([1012, 1012, 1012, 1012]);
    for (const t of texts(5, 25)) say(writer, room, t);
    await waitFor(writer, room, 'm24');

    const path = await connect(`${b.url}/ws/${room}?user_id=ann&since=${at.offset}&epoch=${at.epoch}`);
    const join = await connect(`${b.url}/ws?user_id=bob`);
    join.send({ type: 'join', room, since: at });
    const joinRoom = await connect(`${b.url}/ws?user_id=dan`);
    joinRoom.send({ type: 'join_room', data: room, since: at });
    const channel = await connect(`${b.url}/api/v1/ws?token=${token}`);
    channel.send({ type: 'join_channel', channel_id: room, since: at });
    expect(await path.next('user_list')).toMatchObject({ recovered: true, offset: 25, epoch: at.epoch });
    expect(await join.next('user_list')).toMatchObject({ recovered: true, offset: 25, epoch: at.epoch });
    expect(await joinRoom.next('user_list')).toMatchObject({ recovered: true, offset: 25, epoch: at.epoch });
    expect(await channel.next(confirmation)).toMatchObject({ recovered: true, offset: 25, epoch: at.epoch });
    say(writer, room, 'live');
    for (const c of [path, join, joinRoom, channel]) {
      await waitFor(c, room, 'live');
      expect(seenIn(c, room)).toEqual([...texts(5, 25), 'live'].map((text, i) => ({ offset: 6 + i, epoch: at.epoch, text })));
      // The confirmation comes first: nothing of the room before it.
      const firstMessage = c.frames.findIndex((f) => isMessageIn(f, room));
      expect(c.frames.findIndex(confirmation)).toBeLessThan(firstMessage);
    }
  }, 30_000);

  it('a joiner that is not resuming gets the room\'s current position, on a replica already in the room and on one new to it', async () => {
    const r = await redis();
    const [a, b] = [await gateway(r), await gateway(r)];
    const room = 'join-position';
    const writer = await connect(`${a.url}/ws/${room}?user_id=writer`);
    expect(await writer.next('user_list')).toMatchObject({ offset: 0 });
    for (const t of texts(0, 3)) say(writer, room, t);
    await waitFor(writer, room, 'm2');
    const at = lastPosition(writer, room);
    expect(at.offset).toBe(3);
    // Replica a fans the room out already; replica b has no member in it yet.
    const here = await connect(`${a.url}/ws/${room}?user_id=here`);
    const there = await connect(`${b.url}/ws/${room}?user_id=there`);
    expect(await here.next('user_list')).toMatchObject({ offset: 3, epoch: at.epoch });
    expect(await there.next('user_list')).toMatchObject({ offset: 3, epoch: at.epoch });
    say(writer, room, 'next');
    for (const c of [here, there]) {
      await waitFor(c, room, 'next');
      expect(seenIn(c, room)).toEqual([{ offset: 4, epoch: at.epoch, text: 'next' }]);
    }
  }, 30_000);

  it('past the window a resume says recovered: false with the current position, and replays nothing', async () => {
    const r = await redis();
    const gw = await gateway(r, { WEBSOCKET_HISTORY_SIZE: '5' });
    const room = 'resume-window';
    const writer = await connect(`${gw.url}/ws/${room}?user_id=writer`);
    await writer.next('user_list');
    say(writer, room, 'seen');
    await waitFor(writer, room, 'seen');
    const at = lastPosition(writer, room);
    for (const t of texts(0, 8)) say(writer, room, t);
    await waitFor(writer, room, 'm7');

    const late = await connect(`${gw.url}/ws/${room}?user_id=late&since=${at.offset}&epoch=${at.epoch}`);
    expect(await late.next('user_list')).toMatchObject({ recovered: false, offset: 9, epoch: at.epoch });
    const edge = await connect(`${gw.url}/ws/${room}?user_id=edge&since=4&epoch=${at.epoch}`);
    expect(await edge.next('user_list')).toMatchObject({ recovered: true, offset: 9 });
    await waitFor(edge, room, 'm7');
    expect(seenIn(edge, room).map((s) => s.text)).toEqual(texts(3, 8));
    await late.none('message', 300);
    // A since that is not one: 400 on the path, an error frame in a join (the connection stays).
    expect(await upgradeStatus(`${gw.url}/ws/${room}?since=soon&epoch=${at.epoch}`)).toMatchObject({ status: 400, body: expect.stringContaining('since') });
    late.send({ type: 'join_room', data: 'other', since: { offset: -3, epoch: at.epoch } });
    expect(await late.next('error')).toMatchObject({ data: { code: 'bad_field' } });
    const metrics = await (await fetch(`${gw.http}/metrics`)).text();
    expect(metrics).toMatch(/switchboard_resumes_total\{recovered="false"\} 1\b/);
    expect(metrics).toMatch(/switchboard_resumes_total\{recovered="true"\} 1\b/);
    expect(metrics).toMatch(/switchboard_replayed_total 5\b/);
  }, 30_000);

  it('after Redis restarted empty a resume gets recovered: false and the new epoch; with AOF on, recovered: true', async () => {
    for (const aof of [false, true]) {
      const r = await redis(aof ? ['--appendonly', 'yes', '--appendfsync', 'always'] : []);
      const gw = await gateway(r);
      const room = `resume-restart-${aof}`;
      const writer = await connect(`${gw.url}/ws/${room}?user_id=writer`);
      const reader = await connect(`${gw.url}/ws/${room}?user_id=reader`);
      await writer.next('user_list');
      await reader.next('user_list');
      say(writer, room, 'first');
      await waitFor(reader, room, 'first');
      const at = lastPosition(reader, room);
      await reader.close();
      say(writer, room, 'missed');
      await waitFor(writer, room, 'missed');

      await r.stop(true);
      await r.start();
      await until('the gateway ready again', 15_000, async () => (await fetch(`${gw.http}/health/ready`)).status === 200);
      const back = await connect(`${gw.url}/ws/${room}?user_id=reader&since=${at.offset}&epoch=${at.epoch}`);
      const list = await back.next('user_list');
      if (aof) {
        expect(list).toMatchObject({ recovered: true, epoch: at.epoch, offset: 2 });
        await waitFor(back, room, 'missed');
        expect(seenIn(back, room)).toEqual([{ offset: 2, epoch: at.epoch, text: 'missed' }]);
        await writer.none((f) => f.type === 'user_list' && f.recovered === false, 300);
      } else {
        expect(list).toMatchObject({ recovered: false, offset: 0 });
        expect(list.epoch).not.toBe(at.epoch);
        // The writer stayed connected through it: its replica tells it plainly that it may have missed events.
        expect(await writer.next((f) => f.type === 'user_list' && f.room === room && f.recovered === false, 5000)).toMatchObject({ offset: 0 });
        await back.none('message', 200);
        // The new history numbers from 1 under the new epoch.
        say(back, room, 'after');
        await waitFor(back, room, 'after');
        const [after] = seenIn(back, room);
        expect(after).toEqual({ offset: 1, epoch: expect.any(String), text: 'after' });
        expect(after.epoch).not.toBe(at.epoch);
      }
    }
  }, 60_000);

  it('on a Redis Cluster, rooms on every master resume after a drain', async () => {
    const rc = await startRedisCluster(3);
    try {
      const clusterEnv = { REDIS_CLUSTER_NODES: rc.nodes.join(',') };
      const [a, b] = await Promise.all([gateway(rc.servers[0], clusterEnv), gateway(rc.servers[0], clusterEnv)]);
      // Enough rooms that every master owns some of them.
      const rooms = Array.from({ length: 9 }, (_, i) => `sharded-${i}`);
      const readers = await Promise.all(rooms.map((room) => connect(`${a.url}/ws/${room}?user_id=r-${room}`)));
      const writers = await Promise.all(rooms.map((room) => connect(`${b.url}/ws/${room}?user_id=w-${room}`)));
      for (const c of [...readers, ...writers]) await c.next('user_list');
      rooms.forEach((room, i) => say(writers[i], room, 'before'));
      for (const [i, room] of rooms.entries()) await waitFor(readers[i], room, 'before');
      const at = rooms.map((room, i) => lastPosition(readers[i], room));

      a.proc.kill('SIGTERM');
      await Promise.all(readers.map((c) => c.closed));
      rooms.forEach((room, i) => ['x1', 'x2', 'x3'].forEach((t) => say(writers[i], room, t)));
      for (const [i, room] of rooms.entries()) await waitFor(writers[i], room, 'x3');

      for (const [i, room] of rooms.entries()) {
        const back = await connect(`${b.url}/ws/${room}?user_id=r-${room}&since=${at[i].offset}&epoch=${at[i].epoch}`);
        expect(await back.next('user_list')).toMatchObject({ recovered: true, offset: at[i].offset + 3 });
        await waitFor(back, room, 'x3');
        expect(seenIn(back, room).map((s) => s.text)).toEqual(['x1', 'x2', 'x3']);
      }
    } finally {
      await Promise.all(clients.splice(0).map((c) => c.close()));
      await Promise.all(gws.splice(0).map((g) => g.stop('SIGKILL')));
      await rc.destroy();
    }
  }, 60_000);

  it('the clients of a SIGKILLed replica resume elsewhere with nothing lost', async () => {
    const r = await redis();
    const [a, b] = await Promise.all([gateway(r), gateway(r)]);
    const room = 'resume-kill';
    const readers = await Promise.all([0, 1, 2].map((i) => connect(`${a.url}/ws/${room}?user_id=r${i}`)));
    const writer = await connect(`${b.url}/ws/${room}?user_id=writer`);
    for (const c of [...readers, writer]) await c.next('user_list');
    let n = 0;
    const sending = setInterval(() => say(writer, room, `k${n++}`), 5);
    try {
      await until('traffic', 10_000, () => readers.every((c) => seenIn(c, room).length >= 20));
      a.proc.kill('SIGKILL');
      await Promise.all(readers.map((c) => c.closed));
      const away = n;
      await until('the writer to send 20 messages while the readers are away', 10_000, () => n >= away + 20);
      const resumed = await Promise.all(
        readers.map((c, i) => {
          const at = lastPosition(c, room);
          return connect(`${b.url}/ws/${room}?user_id=r${i}&since=${at.offset}&epoch=${at.epoch}`);
        }),
      );
      for (const c of resumed) expect(await c.next('user_list')).toMatchObject({ recovered: true });
      await until('live traffic to reach the resumed readers', 10_000, () => resumed.every((c) => seenIn(c, room).length > 0));
      clearInterval(sending);
      const last = `k${n - 1}`;
      await waitFor(writer, room, last);
      const truth = seenIn(writer, room);
      for (const [i, c] of resumed.entries()) {
        await waitFor(c, room, last);
        expect([...seenIn(readers[i], room), ...seenIn(c, room)]).toEqual(truth);
      }
    } finally {
      clearInterval(sending);
    }
  }, 30_000);
});
