import { Redis } from 'ioredis';
import { type HubEvent, Topics } from '@switchboard/protocol';
import { quietLogger, RedisServer, type RedisTestCluster, startRedisCluster, until } from '@switchboard/testing';
import { keySlot } from '@switchboard/redis';
import { type BusDropReason, RedisBus, type RedisBusOptions } from './redis.bus';
import { busContract } from './testing/bus.contract';


const event = (content: string): HubEvent => ({ kind: 'message', room: 'r', from: { id: 'u1', name: 'alice' }, content, ts: Date.now() });


async function startBuses(n: number, options: RedisBusOptions, ports: number[] = []) {
  const nodes = Array.from({ length: n }, () => new RedisBus({ logger: quietLogger(), ...options }));
  const close = async () => void (await Promise.all(nodes.map((b) => b.close())));
  const loseHistory = () => flushAll(ports);
  try {
    await Promise.all(nodes.map((b) => b.ready(10_000)));
  } catch (err) {
    await close();
    throw err;
  }
  return { nodes, close, loseHistory };
}

/** Empties every given Redis, as a restart without persistence would. */
async function flushAll(ports: number[]): Promise<void> {
  for (const port of ports) {
    const raw = new Redis(port, '127.0.0.1');
    try {
      await raw.flushall();
    } finally {
      raw.disconnect();
    }
  }
}

let server: RedisServer;
let cluster: RedisTestCluster;

beforeAll(async () => {
  [server, cluster] = await Promise.all([RedisServer.start(), startRedisCluster(3)]);
}, 60_000);

afterAll(async () => {
  await Promise.all([server?.destroy(), cluster?.destroy()]);
});

busContract('redis', (n, history) => startBuses(n, { url: server.url, history }, [server.port]));

busContract('redis-cluster (sharded)', (n, history) =>
  startBuses(n, { clusterNodes: cluster.nodes, history }, cluster.servers.map((s) => s.port)),
);

describe('RedisBus on a single server', () => {
  const closers: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  it('drops malformed input from the wire, counts and logs it, and keeps delivering', async () => {
    const debug: string[] = [];
    const dropped: BusDropReason[] = [];
    const bus = new RedisBus({ url: server.url, logger: quietLogger(debug), metrics: { onDropped: (r) => dropped.push(r) } });
    closers.push(() => bus.close());
    const raw = new Redis(server.url);
    closers.push(() => raw.quit());
    const got: HubEvent[] = [];
    bus.setHandler((_, e) => got.push(e));
    await bus.ready();
    await bus.subscribe(['t:raw']);

    const bad = ['not json {', '[1,2]', '{"n":"x"}', '{"n":"x","t":1,"e":{"kind":"nope","ts":1}}', '{"n":"x","t":1,"e":{"kind":"message","ts":"soon"}}'];
    for (const payload of bad) await raw.publish('t:raw', payload);
    await bus.publish('t:raw', event('valid'));

    await until('the valid event', 5000, () => got.length === 1);
    expect(got).toEqual([expect.objectContaining({ kind: 'message', content: 'valid' })]);
    expect(dropped).toEqual(['bad-json', 'bad-envelope', 'bad-envelope', 'bad-event', 'bad-event']);
    expect(debug.filter((line) => line.startsWith('dropped bus input on t:raw'))).toHaveLength(5);
  });

  it('survives a handler that throws, reporting it, and measures publish and delivery', async () => {
    const errors: Error[] = [];
    const delivered: Array<[string, number]> = [];
    let published = 0;
    const metrics = { onError: (e: Error) => errors.push(e), onPublish: () => void published++, onDeliver: (_: number, topic: string, bytes: number) => delivered.push([topic, bytes]) };
    const bus = new RedisBus({ url: server.url, logger: quietLogger(), metrics });
    closers.push(() => bus.close());
    const got: string[] = [];
    bus.setHandler((_, e) => {
      if ((e as { content?: string }).content === 'boom') throw new Error('handler failed');
      got.push((e as { content: string }).content);
    });
    await bus.ready();
    await bus.subscribe(['t:throw']);
    await bus.publish('t:throw', event('boom'));
    await bus.publish('t:throw', event('fine'));
    await until('the event after the throwing one', 5000, () => got.length === 1);
    expect(got).toEqual(['fine']);
    expect(errors.map((e) => e.message)).toEqual(['handler failed']);
    expect(published).toBe(2);
    expect(delivered).toEqual([['t:throw', expect.any(Number)], ['t:throw', expect.any(Number)]]);
    expect(bus.isReady()).toBe(true);
  });

  it('goes unready when Redis dies, rejects publishes, and after a restart resubscribes by itself', async () => {
    const own = await RedisServer.start();
    closers.push(() => own.destroy());
    const bus = new RedisBus({ url: own.url, logger: quietLogger() });
    closers.push(() => bus.close());
    const got: Array<[string, HubEvent]> = [];
    bus.setHandler((topic, e) => got.push([topic, e]));
    await bus.ready();
    await bus.subscribe(['t:a', 't:b']);
    expect(bus.isReady()).toBe(true);

    await own.stop(true);
    const died = Date.now();
    await until('isReady() to turn false', 3000, () => !bus.isReady());
    expect(Date.now() - died).toBeLessThan(3000);
    const publishing = Date.now();
    await expect(bus.publish('t:a', event('lost'))).rejects.toThrow();
    expect(Date.now() - publishing).toBeLessThan(2500);
    expect(bus.isReady()).toBe(false);

    await own.start();
    await bus.ready(5000);
    const raw = new Redis(own.url);
    closers.push(() => raw.quit());
    expect(((await raw.pubsub('CHANNELS')) as string[]).sort()).toEqual(['t:a', 't:b']);
    expect(await bus.publish('t:b', event('after restart'))).toBe(1);
    await until('the event published after the restart', 5000, () => got.length === 1);
    expect(got).toEqual([['t:b', expect.objectContaining({ content: 'after restart' })]]);
  });

  it('reads the history position of rooms nobody published to without writing a key', async () => {
    const bus = new RedisBus({ url: server.url, logger: quietLogger(), history: { size: 10, ttlMs: 60_000 } });
    closers.push(() => bus.close());
    const raw = new Redis(server.url);
    closers.push(() => raw.quit());
    await bus.ready();
    const rooms = Array.from({ length: 50 }, (_, i) => Topics.room(`never-published-${i}`));
    const keys = () => raw.keys('*never-published*');
    for (const room of rooms) expect(await bus.history(room)).toEqual({ position: { offset: 0, epoch: expect.stringMatching(/^~/) }, recovered: false, events: [] });
    const first = (await bus.history(rooms[0]))!.position;
    expect(await bus.history(rooms[0], first)).toMatchObject({ recovered: true });
    expect(await keys()).toEqual([]);
    await bus.publish(rooms[0], event('now it has one'));
    expect((await keys()).length).toBeGreaterThan(0);
  });

  it.each([
    ['without persistence does not resume it: what was published before the restart is gone', [], false],
    ['restored from the append-only file resumes it: nothing was lost', ['--appendonly', 'yes', '--appendfsync', 'always'], true],
  ] as const)('a position read while a room was empty, after a Redis restart %s', async (_, args, resumes) => {
    const own = await RedisServer.start(args);
    closers.push(() => own.destroy());
    const bus = new RedisBus({ url: own.url, logger: quietLogger(), history: { size: 10, ttlMs: 60_000 } });
    closers.push(() => bus.close());
    await bus.ready();
    const room = Topics.room('restarted');
    const empty = (await bus.history(room))!.position;
    await bus.publish(room, event('before the restart'));
    await own.restart();
    await bus.ready(5000);
    await bus.publish(room, event('after the restart'));
    const read = await bus.history(room, empty);
    expect(read?.recovered).toBe(resumes);
    expect(read?.events.map((e) => (e as { content: string }).content)).toEqual(resumes ? ['before the restart', 'after the restart'] : []);
  });

  it('rejects a subscribe while Redis is down, without holding the topic', async () => {
    const own = await RedisServer.start();
    closers.push(() => own.destroy());
    const bus = new RedisBus({ url: own.url, logger: quietLogger() });
    closers.push(() => bus.close());
    await bus.ready();
    await own.stop(true);
    await until('isReady() to turn false', 3000, () => !bus.isReady());
    await expect(bus.subscribe(['t:down'])).rejects.toThrow();
    expect([...bus.topics()]).toEqual([]);
  });
});

describe('RedisBus on a Redis Cluster', () => {
  it('computes key slots as the cluster does', async () => {
    const raw = new Redis(cluster.servers[0].port, '127.0.0.1');
    try {
      for (const key of ['sb:room:lobby', 'sb:all', '{sb:presence}:hb', 'a{}b', 'x{y}z{w}', 'sb:user:ünïcødé', '']) {
        expect(keySlot(key)).toBe(Number(await raw.call('CLUSTER', 'KEYSLOT', key)));
      }
    } finally {
      raw.disconnect();
    }
  });

  it('keeps each topic on the master that owns its slot', async () => {
    const { nodes, close } = await startBuses(1, { clusterNodes: cluster.nodes });
    const clients = cluster.servers.map((s) => new Redis(s.port, '127.0.0.1'));
    try {
      const topics = Array.from({ length: 30 }, (_, i) => `sb:room:spread-${i}`);
      await nodes[0].subscribe(topics);
      const perNode = await Promise.all(clients.map(async (c) => (await c.call('PUBSUB', 'SHARDCHANNELS')) as string[]));
      expect(perNode.every((channels) => channels.length > 0)).toBe(true);
      expect(perNode.flat().sort()).toEqual([...topics].sort());
    } finally {
      clients.forEach((c) => c.disconnect());
      await close();
    }
  });

  it("keeps a room's history on the master that owns the room's shard channel", async () => {
    const { nodes, close } = await startBuses(1, { clusterNodes: cluster.nodes, history: { size: 10, ttlMs: 60_000 } });
    const clients = cluster.servers.map((s) => new Redis(s.port, '127.0.0.1'));
    try {
      const topics = Array.from({ length: 12 }, (_, i) => Topics.room(`slot-${i}`));
      await nodes[0].subscribe(topics);
      for (const topic of topics) await nodes[0].publish(topic, event(topic));
      for (const topic of topics) {
        const { stream, meta } = Topics.history(topic);
        const holders = await Promise.all(clients.map(async (c) => ((await c.call('PUBSUB', 'SHARDCHANNELS', topic)) as string[]).length > 0));
        const owner = holders.indexOf(true);
        expect(owner).toBeGreaterThanOrEqual(0);
        expect(await clients[owner].exists(stream, meta)).toBe(2);
        expect(Number(await clients[owner].call('CLUSTER', 'KEYSLOT', stream))).toBe(keySlot(topic));
      }
    } finally {
      clients.forEach((c) => c.disconnect());
      await close();
    }
  });

  // Last in the file: it takes a master down and brings it back.
  it('goes unready when a master dies, and resubscribes its topics when it is back', async () => {
    const { nodes, close } = await startBuses(1, { clusterNodes: cluster.nodes });
    const [bus] = nodes;
    const victim = cluster.servers[1];
    const raw = () => new Redis(victim.port, '127.0.0.1', { retryStrategy: () => null, maxRetriesPerRequest: 0 });
    try {
      const got: string[] = [];
      bus.setHandler((topic) => got.push(topic));
      await bus.subscribe(Array.from({ length: 30 }, (_, i) => `sb:room:failover-${i}`));
      let client = raw();
      const onVictim = ((await client.call('PUBSUB', 'SHARDCHANNELS')) as string[]).sort();
      client.disconnect();
      expect(onVictim.length).toBeGreaterThan(0);

      await victim.stop(true);
      await until('isReady() to turn false', 3000, () => !bus.isReady());
      await victim.start();
      await bus.ready(15_000);

      client = raw();
      expect(((await client.call('PUBSUB', 'SHARDCHANNELS')) as string[]).sort()).toEqual(onVictim);
      client.disconnect();
      await until('a publish to the restarted master', 15_000, async () => (await bus.publish(onVictim[0], event('back')).catch(() => 0)) === 1);
      await until('the event published after the restart', 5000, () => got.includes(onVictim[0]));
    } finally {
      await close();
    }
  }, 40_000);
});
