import { Redis } from 'ioredis';
import { type AppProcess, metric, redisGatewayEnv, RedisServer, type RedisTestCluster, signToken, startAppProcess, startRedisCluster, TEST_SECRET, TestClient, until, upgradeStatus } from '@switchboard/testing';


/** Three real gateway processes on one real Redis, real ws clients spread over them. */
describe('cluster over Redis', () => {
  let redis: RedisServer;
  let admin: Redis;
  const gws: AppProcess[] = [];
  const clients: TestClient[] = [];
  const env = () => ({ ...redisGatewayEnv(redis.url, TEST_SECRET), WEBSOCKET_DRAIN_TIMEOUT: '200ms' });
  const on = async (gw: AppProcess, path: string, claims?: Record<string, unknown>) => {
    const sep = path.includes('?') ? '&' : '?';
    const c = await TestClient.connect(`${gw.url}${path}${claims ? `${sep}token=${signToken(claims)}` : ''}`);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    redis = await RedisServer.start();
    admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    gws.push(...(await Promise.all([1, 2, 3].map(() => startAppProcess('gateway', env())))));
  }, 60000);
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await Promise.all(gws.map((g) => g.stop('SIGKILL')));
    admin.disconnect();
    await redis.destroy();
  });

  it('acts as one server: chat, join/leave and user_list across replicas', async () => {
    const [g1, g2, g3] = gws;
    const ann = await on(g1, '/ws/auth/lobby', { sub: 'ann', username: 'ann' });
    await ann.next('user_list');
    const ben = await on(g2, '/ws/auth/lobby', { sub: 'ben', username: 'ben' });
    expect(((await ben.next('user_list')).data as string[]).sort()).toEqual(['ann', 'ben']);
    expect(await ann.next('join')).toMatchObject({ username: 'ben' });
    const cat = await on(g3, '/ws?user_id=cat');
    cat.send({ type: 'join_room', data: 'lobby' });
    expect(((await cat.next('user_list')).data as string[]).sort()).toEqual(['ann', 'ben', 'cat']);

    ann.send({ type: 'message', room: 'lobby', content: 'hello cluster' });
    expect(await ben.next('message')).toMatchObject({ content: 'hello cluster', username: 'ann' });
    expect(await cat.next('room_message')).toMatchObject({ data: { message: 'hello cluster', user_id: 'ann' } });
    expect(await ann.next('message')).toMatchObject({ content: 'hello cluster' });

    await cat.close();
    expect(await ann.next('leave')).toMatchObject({ user_id: 'cat' });
    expect(await ben.next('leave')).toMatchObject({ user_id: 'cat' });
    expect(((await ben.ask({ type: 'user_list', room: 'lobby' }, 'user_list')).data as string[]).sort()).toEqual(['ann', 'ben']);
  });

  it('delivers private_message to all of a user\'s connections on other replicas, and broadcast to everyone', async () => {
    const [g1, g2, g3] = gws;
    const dan2 = await on(g2, '/ws/auth', { sub: 'dan', username: 'dan' });
    const dan3 = await on(g3, '/ws/auth', { sub: 'dan', username: 'dan' });
    const eve = await on(g3, '/ws/auth', { sub: 'eve', username: 'eve' });
    const boss = await on(g1, '/ws/auth', { sub: 'boss', username: 'boss', permissions: ['broadcast'] });
    boss.send({ type: 'private_message', user_id: 'dan', content: 'psst' });
    expect(await dan2.next('private_message')).toMatchObject({ content: 'psst', user_id: 'boss' });
    expect(await dan3.next('private_message')).toMatchObject({ content: 'psst' });
    await eve.none('private_message');

    boss.send({ type: 'broadcast', data: 'all hands' });
    for (const c of [dan2, dan3, eve, boss]) expect(await c.next('notification')).toMatchObject({ data: 'all hands' });
  });

  it('subscribes a replica to a room only while it has members there; others get no bytes of it', async () => {
    const [g1, g2, g3] = gws;
    const topic = 'sb:room:interest';
    const a = await on(g1, '/ws/interest?user_id=ia');
    await a.next('user_list');
    const b = await on(g2, '/ws/interest?user_id=ib');
    await b.next('user_list');
    const numsub = async () => Number(((await admin.pubsub('NUMSUB', topic)) as [string, number])[1]);
    expect(await numsub()).toBe(2);
    expect(await admin.pubsub('CHANNELS', topic)).toEqual([topic]);

    const g3Before = await metric(g3, 'switchboard_bus_bytes_in_total{topic_kind="room"}');
    const g2Before = await metric(g2, 'switchboard_bus_bytes_in_total{topic_kind="room"}');
    for (let i = 0; i < 20; i++) a.send({ type: 'message', room: 'interest', content: `m${i}` });
    for (let i = 0; i < 20; i++) await b.next('message');
    expect(await metric(g2, 'switchboard_bus_bytes_in_total{topic_kind="room"}')).toBeGreaterThan(g2Before);
    expect(await metric(g3, 'switchboard_bus_bytes_in_total{topic_kind="room"}')).toBe(g3Before);
    // The bus metrics an operator watches: publishes, deliveries with their latency, topics held, presence.
    expect(await metric(g1, 'switchboard_bus_published_total')).toBeGreaterThanOrEqual(20);
    expect(await metric(g2, 'switchboard_bus_delivered_total{topic_kind="room"}')).toBeGreaterThanOrEqual(20);
    expect(await metric(g2, 'switchboard_bus_latency_seconds_count')).toBeGreaterThanOrEqual(20);
    expect(await metric(g2, 'switchboard_bus_subscriptions')).toBeGreaterThanOrEqual(3); // broadcast, guest ib, room
    expect(await metric(g2, 'switchboard_presence_members')).toBe(1);

    b.send({ type: 'leave', room: 'interest' });
    await a.next('leave');
    await until('g2 to unsubscribe', 3000, async () => (await numsub()) === 1);
    await a.close();
    await until('the last replica to unsubscribe', 3000, async () => (await numsub()) === 0);
  });

  it('removes the members of a SIGKILLed replica within the presence TTL, telling the others', async () => {
    const [g1] = gws;
    const doomed = await startAppProcess('gateway', env());
    const stay = await on(g1, '/ws/auth/kill', { sub: 'stay', username: 'stay' });
    await stay.next('user_list');
    const victim = await on(doomed, '/ws/auth/kill', { sub: 'victim', username: 'victim' });
    await victim.next('user_list');
    await stay.next('join');

    doomed.proc.kill('SIGKILL');
    // Node liveness, not the 60 s presence expiry: seconds (the bound for peers is 10 s past the resume window).
    expect(await stay.next('leave', 10_000)).toMatchObject({ user_id: 'victim', room: 'kill' });
    expect((await stay.ask({ type: 'user_list', room: 'kill' }, 'user_list')).data).toEqual(['stay']);
  }, 20000);

  it('goes unready while Redis is down, reconnects, resubscribes and delivers again on every replica', async () => {
    const [g1, g2, g3] = gws;
    const members = [await on(g1, '/ws/restart?user_id=r1'), await on(g2, '/ws/restart?user_id=r2'), await on(g3, '/ws/restart?user_id=r3')];
    for (const m of members) await m.next('user_list');

    await redis.stop();
    await until('every replica to report unready', 5000, async () => {
      const statuses = await Promise.all(gws.map(async (g) => (await fetch(`${g.http}/health/ready`)).status));
      return statuses.every((s) => s === 503);
    });
    // Chat refused by the bus: the error names the frame it answers, in either style.
    members[0].send({ type: 'message', room: 'restart', content: 'while down' });
    expect(await members[0].next('error')).toMatchObject({ data: { code: 'unavailable' }, re: 'message', room: 'restart' });
    members[1].send({ type: 'room_message', data: { room: 'restart', message: 'while down' } });
    expect(await members[1].next('error')).toMatchObject({ data: { code: 'unavailable' }, re: 'room_message', room: 'restart' });
    const refused = await upgradeStatus(`${g1.url}/ws?user_id=late`);
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body).error).toMatch(/bus unavailable/);

    await redis.start();
    await until('every replica to be ready again', 15000, async () => {
      const statuses = await Promise.all(gws.map(async (g) => (await fetch(`${g.http}/health/ready`)).status));
      return statuses.every((s) => s === 200);
    });
    expect(((await admin.pubsub('NUMSUB', 'sb:room:restart')) as [string, number])[1]).toBe(3);

    for (const [i, sender] of members.entries()) {
      sender.send({ type: 'message', room: 'restart', content: `after restart from r${i + 1}` });
      for (const m of members) expect(await m.next('message')).toMatchObject({ content: `after restart from r${i + 1}` });
    }
    // Presence was lost with Redis' data; replicas put their members back.
    await until('presence to be restored', 15_000, async () => {
      const list = await members[0].ask({ type: 'user_list', room: 'restart' }, 'user_list');
      return (list.data as string[]).length === 3;
    });
  }, 60_000);
});

/** The same gateways on a real three-master Redis Cluster, with sharded pub/sub. */
describe('cluster over Redis Cluster (sharded pub/sub)', () => {
  let rc: RedisTestCluster;
  const gws: AppProcess[] = [];

  beforeAll(async () => {
    rc = await startRedisCluster(3);
    const env = { BUS: 'redis', REDIS_CLUSTER_NODES: rc.nodes.join(','), JWT_SECRET: TEST_SECRET, WEBSOCKET_CONNECT_BURST: '1000' };
    gws.push(...(await Promise.all([1, 2].map(() => startAppProcess('gateway', env)))));
  }, 60000);
  afterAll(async () => {
    await Promise.all(gws.map((g) => g.stop('SIGKILL')));
    await rc.destroy();
  });

  it('carries rooms across replicas on shard channels of the master that owns each room', async () => {
    const rooms = ['alpha', 'bravo', 'charlie', 'delta'];
    const left: TestClient[] = [];
    const right: TestClient[] = [];
    for (const room of rooms) {
      left.push(await TestClient.connect(`${gws[0].url}/ws/${room}?user_id=l-${room}`));
      right.push(await TestClient.connect(`${gws[1].url}/ws/${room}?user_id=r-${room}`));
    }
    for (const c of [...left, ...right]) await c.next('user_list');
    for (const [i, room] of rooms.entries()) left[i].send({ type: 'message', room, content: `to ${room}` });
    for (const [i, room] of rooms.entries()) expect(await right[i].next('message')).toMatchObject({ room, content: `to ${room}` });

    const shardChannels = new Set<string>();
    for (const node of rc.nodes) {
      const [host, port] = node.split(':');
      const r = new Redis({ host, port: Number(port), maxRetriesPerRequest: 1 });
      for (const ch of (await r.call('PUBSUB', 'SHARDCHANNELS', 'sb:room:*')) as string[]) shardChannels.add(ch);
      r.disconnect();
    }
    expect([...shardChannels].sort()).toEqual(rooms.map((r) => `sb:room:${r}`));
    await Promise.all([...left, ...right].map((c) => c.close()));
  }, 30000);
});
