import { signToken, TEST_SECRET } from '@switchboard/testing';
import { type MessageFrame, SwitchboardClient, type TransportName } from '../src/node';
import { TestCluster, token, until } from './cluster';
import { UpgradeProxy } from './upgrade-proxy';

/** The transports a client connected over, in order. */
function transportsOf(client: SwitchboardClient): TransportName[] {
  const used: TransportName[] = [];
  client.on('connected', ({ transport }) => used.push(transport));
  return used;
}

const contents = (frames: MessageFrame[]) => frames.map((f) => String(f.content));

describe('SwitchboardClient over SSE, when WebSocket upgrades are refused', () => {
  let cluster: TestCluster;
  let proxy: UpgradeProxy;

  beforeAll(async () => {
    cluster = await TestCluster.start(2);
    proxy = await UpgradeProxy.start(cluster.gateways[0].url);
  }, 60000);
  afterAll(async () => {
    await proxy.close();
    await cluster.stop();
  });

  it('falls back to SSE: joins, publishes acknowledged, receives, and refreshes its token over the uplink', async () => {
    proxy.refuseUpgrades = true;
    const refusedBefore = proxy.upgradesRefused;
    const postsBefore = proxy.posts.length;
    // 8 s tokens: the client sends `refresh` (a POST) about 6 s after connecting.
    const client = new SwitchboardClient({ url: `${proxy.url}/ws/auth`, token: () => signToken({ sub: 'sol', username: 'sol' }, TEST_SECRET, 8), initialDelayMs: 50 });
    const used = transportsOf(client);
    const heard: MessageFrame[] = [];
    const room = client.room('porch');
    room.on('message', (m) => heard.push(m));
    await room.join();
    expect(used).toEqual(['sse']);
    expect(proxy.upgradesRefused).toBeGreaterThan(refusedBefore);

    const observer = new SwitchboardClient({ url: `${cluster.gateways[1].url}/ws/auth`, token: token('olga'), transports: ['websocket'] });
    const seen: MessageFrame[] = [];
    observer.on('message', (m) => seen.push(m));
    await observer.join('porch');

    const acked = await room.publish('over sse');
    expect(acked).toMatchObject({ room: 'porch', offset: expect.any(Number) });
    await until('the observer got the SSE client\'s message', 10_000, () => seen.find((m) => m.content === 'over sse'));
    expect(seen.find((m) => m.content === 'over sse')?.offset).toBe(acked.offset);
    expect(proxy.posts.length).toBeGreaterThan(postsBefore);

    await observer.room('porch').publish('to sse');
    await until('the SSE client got the observer\'s message', 10_000, () => heard.find((m) => m.content === 'to sse'));

    const refreshed = await new Promise<{ exp?: number }>((resolve) => client.once('refreshed', resolve));
    expect(refreshed.exp).toBeGreaterThan(Date.now() / 1000);
    const after = await room.publish('after the refresh');
    expect(after.offset).toBeGreaterThan(acked.offset);
    expect(used).toEqual(['sse']); // the same stream all along
    expect(contents(heard).filter((c) => c === 'over sse' || c === 'to sse')).toEqual(['over sse', 'to sse']);
    client.close();
    observer.close();
  }, 40000);

  it('moves WebSocket → SSE → WebSocket under 50 messages/s: every message once, in order, and its own publishes acknowledged once each', async () => {
    proxy.refuseUpgrades = false;
    const mover = new SwitchboardClient({ url: `${proxy.url}/ws/auth`, token: token('moe'), initialDelayMs: 50, maxDelayMs: 200 });
    const used = transportsOf(mover);
    const got: MessageFrame[] = [];
    const gaps: unknown[] = [];
    mover.on('gap', (g) => gaps.push(g));
    const room = mover.room('yard');
    room.on('message', (m) => {
      if (m.username === 'pia') got.push(m);
    });
    await room.join();
    expect(used).toEqual(['websocket']);

    const publisher = new SwitchboardClient({ url: `${cluster.gateways[1].url}/ws/auth`, token: token('pia'), transports: ['websocket'] });
    const fromMover: MessageFrame[] = [];
    publisher.on('message', (m) => {
      if (m.username === 'moe') fromMover.push(m);
    });
    await publisher.join('yard');

    const total = 250;
    const sent: Array<Promise<unknown>> = [];
    const moverSent: Array<Promise<{ offset: number }>> = [];
    let n = 0;
    const ticker = setInterval(() => {
      n += 1;
      sent.push(publisher.room('yard').publish(String(n)));
      if (n % 5 === 0) moverSent.push(room.publish(`m${n / 5}`)); // 10/s from the moving client
      if (n === total) clearInterval(ticker);
    }, 20);

    await until('50 messages over the WebSocket', 20_000, () => got.length >= 50);
    proxy.refuseUpgrades = true;
    proxy.cut();
    await until('the client on SSE', 20_000, () => used.length === 2);
    expect(used[1]).toBe('sse');
    const onSse = got.length;
    await until('50 more messages over SSE', 20_000, () => got.length >= onSse + 50);
    proxy.refuseUpgrades = false;
    proxy.cut();
    await until('the client back on a WebSocket', 20_000, () => used.length === 3);
    expect(used[2]).toBe('websocket');

    await until('every message', 30_000, () => got.length >= total && n === total);
    await Promise.all(sent);
    const acks = await Promise.all(moverSent);
    await until('every message of the moving client at the publisher', 20_000, () => fromMover.length >= total / 5);
    expect(contents(got)).toEqual(Array.from({ length: total }, (_, i) => String(i + 1)));
    const offsets = got.map((m) => m.offset as number);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    expect(contents(fromMover)).toEqual(Array.from({ length: total / 5 }, (_, i) => `m${i + 1}`));
    expect(fromMover.map((m) => m.offset)).toEqual(acks.map((a) => a.offset));
    expect(gaps).toEqual([]);
    mover.close();
    publisher.close();
  }, 90000);

  it('falls back to SSE when the upgrade is held, not answered, past upgradeTimeoutMs', async () => {
    proxy.holdUpgrades = true;
    const client = new SwitchboardClient({ url: `${proxy.url}/ws/auth`, token: token('hal'), upgradeTimeoutMs: 500, initialDelayMs: 50 });
    const used = transportsOf(client);
    await client.join('hall');
    expect(used).toEqual(['sse']);
    expect((await client.room('hall').publish('held')).offset).toEqual(expect.any(Number));
    client.close();
    proxy.holdUpgrades = false;
  }, 30000);

  it('fails over on a drain over SSE: the stream\'s close 1012 moves it to the next replica, nothing lost or repeated', async () => {
    const [a, b] = await Promise.all([cluster.add(), cluster.add()]);
    const proxies = await Promise.all([UpgradeProxy.start(a.url), UpgradeProxy.start(b.url)]);
    for (const p of proxies) p.refuseUpgrades = true;
    const byUrl = new Map(proxies.map((p, i) => [`${p.url}/ws/auth`, [a, b][i]]));
    const client = new SwitchboardClient({ urls: [...byUrl.keys()], token: token('fay'), initialDelayMs: 50, maxDelayMs: 200 });
    const used = transportsOf(client);
    const urls: string[] = [];
    const closes: number[] = [];
    client.on('connected', ({ url }) => urls.push(url));
    client.on('close', ({ code }) => closes.push(code));
    const got: MessageFrame[] = [];
    client.room('deck').on('message', (m) => got.push(m));
    await client.room('deck').join();

    const publisher = new SwitchboardClient({ url: `${cluster.gateways[1].url}/ws/auth`, token: token('pam'), transports: ['websocket'] });
    await publisher.join('deck');
    const total = 100;
    let n = 0;
    const sent: Array<Promise<unknown>> = [];
    const ticker = setInterval(() => {
      sent.push(publisher.room('deck').publish(String(++n)));
      if (n === total) clearInterval(ticker);
    }, 20);
    await until('30 messages before the drain', 20_000, () => got.length >= 30);
    const serving = byUrl.get(urls[0])!;
    await serving.stop('SIGTERM');
    await until('every message after the failover', 30_000, () => got.length >= total && n === total);
    await Promise.all(sent);
    expect(closes).toContain(1012);
    expect(urls).toHaveLength(2);
    expect(urls[1]).not.toBe(urls[0]);
    expect(used).toEqual(['sse', 'sse']);
    expect(contents(got)).toEqual(Array.from({ length: total }, (_, i) => String(i + 1)));
    client.close();
    publisher.close();
    await Promise.all(proxies.map((p) => p.close()));
  }, 60000);
});
