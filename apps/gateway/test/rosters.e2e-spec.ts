import { Redis } from 'ioredis';
import { type AppProcess, type Frame, redisGatewayEnv, RedisServer, startAppProcess, TEST_SECRET, TestClient, until } from '@switchboard/testing';

const CAP = 20;

/**
 * Each replica answers user_list from the roster it keeps from join/leave events. These
 * tests check that every replica's roster equals presence (in Redis) after what could make
 * them drift: a join storm, a Redis restart that loses everything, a SIGKILLed replica.
 */
describe('rosters across replicas', () => {
  let redis: RedisServer;
  let admin: Redis;
  const gws: AppProcess[] = [];
  const clients: TestClient[] = [];
  const env = () => ({ ...redisGatewayEnv(redis.url, TEST_SECRET), WEBSOCKET_PRESENCE_EVENTS_MAX_MEMBERS: String(CAP) });
  const join = async (gw: AppProcess, room: string, name: string) => {
    const c = await TestClient.connect(`${gw.url}/ws/${room}?user_id=${name}`);
    clients.push(c);
    return c;
  };
  /** The usernames presence holds for a room, straight from Redis. */
  const presence = async (room: string) =>
    [...new Set((await admin.hvals(`{sb:presence}:room:${room}`)).map((m) => (JSON.parse(m) as { username: string }).username))].sort();
  /** What a probe on each replica is told. */
  const lists = async (room: string, probes: TestClient[]) =>
    Promise.all(probes.map(async (p) => (((await p.ask({ type: 'user_list', room }, 'user_list')).data as string[]) ?? []).sort()));
  let last = '';
  const everyReplicaAgrees = (room: string, probes: TestClient[]) =>
    until(`every replica's roster of ${room} to equal presence`, 8000, async () => {
      const truth = await presence(room);
      const seen = await lists(room, probes);
      last = JSON.stringify({ truth, seen });
      return seen.every((l) => JSON.stringify(l) === JSON.stringify(truth));
    }, () => last);

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

  it('stays equal to presence through a join storm, and caps user_list above the threshold with the total', async () => {
    const probes = await Promise.all(gws.map((g, i) => join(g, 'storm', `probe${i}`)));
    for (const p of probes) await p.next('user_list');
    // 57 more join at once, spread over the replicas; 6 of them leave again.
    const storm = await Promise.all(Array.from({ length: 57 }, (_, i) => join(gws[i % 3], 'storm', `s${i}`)));
    await Promise.all(storm.map((c) => c.next('user_list')));
    await Promise.all(storm.slice(0, 6).map((c) => c.close()));
    await until('presence to settle', 5000, async () => (await presence('storm')).length === 54);

    for (const p of probes) {
      await until('the capped list to count every member', 5000, async () => {
        const list = await p.ask({ type: 'user_list', room: 'storm' }, 'user_list');
        return list.total === 54 && (list.data as string[]).length === CAP;
      });
    }
    // Notices stop once the room passes the threshold: a probe heard at most CAP joins.
    const heard = probes[0].frames.filter((f: Frame) => f.type === 'join').length;
    expect(heard).toBeGreaterThan(0);
    expect(heard).toBeLessThanOrEqual(CAP);

    // Below the threshold again, the full list on every replica equals presence.
    await Promise.all(storm.slice(6, 40).map((c) => c.close()));
    await everyReplicaAgrees('storm', probes);
    expect((await presence('storm')).length).toBe(20);
  }, 40000);

  it('is rebuilt after Redis restarts empty, without the members who left while it was down', async () => {
    const probes = await Promise.all(gws.map((g, i) => join(g, 'outage', `op${i}`)));
    const members = await Promise.all(Array.from({ length: 9 }, (_, i) => join(gws[i % 3], 'outage', `om${i}`)));
    for (const c of [...probes, ...members]) await c.next('user_list');
    await everyReplicaAgrees('outage', probes);

    await redis.stop();
    await Promise.all(members.slice(0, 4).map((c) => c.close())); // their leave cannot be announced
    await redis.start();
    await until('every replica ready again', 15000, async () =>
      (await Promise.all(gws.map(async (g) => (await fetch(`${g.http}/health/ready`)).status))).every((s) => s === 200),
    );
    // Every replica puts its members back; then every roster agrees with presence.
    const expected = ['om4', 'om5', 'om6', 'om7', 'om8', 'op0', 'op1', 'op2'];
    await until('presence to be restored', 15000, async () => JSON.stringify(await presence('outage')) === JSON.stringify(expected));
    await everyReplicaAgrees('outage', probes);
    expect(await presence('outage')).toEqual(expected);
  }, 40000);

  it('drops the members of a SIGKILLed replica from every roster', async () => {
    const doomed = await startAppProcess('gateway', env());
    const probes = await Promise.all(gws.map((g, i) => join(g, 'killed', `kp${i}`)));
    const victims = await Promise.all([1, 2, 3].map((i) => join(doomed, 'killed', `kv${i}`)));
    for (const c of [...probes, ...victims]) await c.next('user_list');
    await everyReplicaAgrees('killed', probes);
    expect((await presence('killed')).length).toBe(6);

    doomed.proc.kill('SIGKILL');
    await until('the dead replica to leave presence', 8000, async () => (await presence('killed')).length === 3);
    await everyReplicaAgrees('killed', probes);
  }, 30000);
});
