import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { quietLogger, RedisServer, type RedisTestCluster, sleep, startRedisCluster } from '@switchboard/testing';
import { RedisPresence, type RedisPresenceOptions } from './redis.presence';
import { presenceContract } from './testing/presence.contract';

const logger = quietLogger();

let server: RedisServer;
let cluster: RedisTestCluster;

beforeAll(async () => {
  [server, cluster] = await Promise.all([RedisServer.start(), startRedisCluster(3)]);
}, 60_000);

afterAll(async () => {
  await Promise.all([server?.destroy(), cluster?.destroy()]);
});

/** n views of one fresh store: a key prefix of its own keeps each test's data apart. */
async function views(n: number, ttlMs: number, connection: Pick<RedisPresenceOptions, 'url' | 'clusterNodes'>) {
  const keyPrefix = `sb:presence:test-${randomUUID()}`;
  const nodes = Array.from({ length: n }, () => new RedisPresence({ ...connection, ttlMs, keyPrefix, logger }));
  return { nodes, keyPrefix, close: async () => void (await Promise.all(nodes.map((p) => p.close()))) };
}

presenceContract('redis', (n, ttlMs) => views(n, ttlMs, { url: server.url }));

presenceContract('redis-cluster', (n, ttlMs) => views(n, ttlMs, { clusterNodes: cluster.nodes }));

describe('RedisPresence on a single server', () => {
  const member = (node: string, n: number) => ({ clientId: `${node}:${n}`, userId: `u${n}`, username: `user ${n}`, nodeId: node });
  let store: Awaited<ReturnType<typeof views>> | undefined;
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    await store?.close();
    store = undefined;
  });

  it("leaves a dead node's members out of the size add returns", async () => {
    store = await views(2, 300, { url: server.url });
    const [a, b] = store.nodes;
    expect(await a.add('room', member('A', 1))).toBe(1);
    for (let i = 0; i < 4; i++) {
      await sleep(120);
      await b.refresh('B');
    }
    expect(await b.add('room', member('B', 1))).toBe(1);
    expect(await b.rooms()).toEqual({ room: 1 });
  });

  it('hands each expired entry to exactly one of many concurrent callers, and leaves no keys behind', async () => {
    store = await views(5, 300, { url: server.url });
    const [a, ...others] = store.nodes;
    for (let i = 0; i < 60; i++) await a.add(`room-${i % 7}`, member('A', i));
    await a.setConnections('A', 60);
    const raw = new Redis(server.url);
    closers.push(async () => raw.disconnect());
    const { keyPrefix } = store;
    const keys = () => raw.keys(`{${keyPrefix}}:*`);
    expect((await keys()).length).toBeGreaterThan(0);
    await sleep(450);
    const results = await Promise.all(others.map((p) => p.expire()));
    const all = results.flat().map((e) => `${e.room}/${e.member.clientId}`);
    expect(all).toHaveLength(60);
    expect(new Set(all).size).toBe(60);
    expect(await a.rooms()).toEqual({});
    expect(await a.nodes()).toEqual({});
    expect(await keys()).toEqual([]);
  });

  it('tells a node its entries were lost when Redis loses its data, even after a write re-registered it', async () => {
    store = await views(1, 10_000, { url: server.url });
    const [a] = store.nodes;
    await a.add('room', member('A', 1));
    await a.markRestored('A', 1);
    expect(await a.refresh('A')).toBe(true);
    const raw = new Redis(server.url);
    closers.push(async () => raw.disconnect());
    for (const key of await raw.keys(`{${store.keyPrefix}}:*`)) await raw.del(key); // as a restart without persistence would
    await a.setConnections('A', 1);
    await a.add('room', member('A', 2));
    expect(await a.refresh('A')).toBe(false);
  });

  it('keeps telling a node to restore when Redis lost its data while it was putting entries back', async () => {
    store = await views(1, 10_000, { url: server.url });
    const [a] = store.nodes;
    const raw = new Redis(server.url);
    closers.push(async () => raw.disconnect());
    await a.add('room', member('A', 1));
    for (const key of await raw.keys(`{${store.keyPrefix}}:*`)) await raw.del(key); // a restart without persistence, mid-restore
    await a.add('room', member('A', 2));
    await a.markRestored('A', 2);
    expect(await a.refresh('A')).toBe(false);
    expect((await a.members('room')).map((m) => m.clientId)).toEqual(['A:2']);
  });
});
