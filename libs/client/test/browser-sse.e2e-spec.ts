/// <reference lib="dom" />
import { SwitchboardClient } from '../src/node';
import type { LibraryPage } from './chromium';
import { TestCluster, token, until } from './cluster';
import { UpgradeProxy } from './upgrade-proxy';

declare global {
  interface Window {
    Switchboard: typeof import('../src/index');
  }
}

describe('in Chromium: the SSE fallback behind a proxy that refuses WebSocket upgrades', () => {
  let cluster: TestCluster;
  let proxy: UpgradeProxy;
  let chromium: LibraryPage;

  beforeAll(async () => {
    cluster = await TestCluster.start(2);
    proxy = await UpgradeProxy.start(cluster.gateways[0].url);
    proxy.refuseUpgrades = true;
    chromium = await proxy.openPage(); // streams and POSTs are same-origin
  }, 90000);
  afterAll(async () => {
    await chromium?.close();
    await proxy?.close();
    await cluster?.stop();
  });

  it('a token (fetch with Authorization): joins, publishes acknowledged, and chats with a WebSocket client on the other replica', async () => {
    const peer = new SwitchboardClient({ url: `${cluster.gateways[1].url}/ws/auth`, token: token('wes'), transports: ['websocket'] });
    const heard: string[] = [];
    peer.room('web').on('message', (m) => heard.push(String(m.content)));
    await peer.room('web').join();
    const inPage = chromium.page.evaluate(
      async ({ url, jwt }) => {
        const client = new window.Switchboard.SwitchboardClient({ url, token: jwt, initialDelayMs: 50 });
        const used: string[] = [];
        client.on('connected', ({ transport }) => used.push(transport));
        const room = client.room('web');
        const got: string[] = [];
        room.on('message', (m) => got.push(String(m.content)));
        await room.join();
        const offsets: number[] = [];
        for (let i = 1; i <= 20; i++) offsets.push((await room.publish(`b${i}`)).offset);
        while (!got.includes('from node')) await new Promise((r) => setTimeout(r, 50));
        client.close();
        return { used, offsets, got };
      },
      { url: `${proxy.url}/ws/auth`, jwt: token('bea') },
    );
    await until('the browser\'s messages at the WebSocket peer', 20_000, () => heard.length >= 20);
    await peer.room('web').publish('from node');
    const result = await inPage;
    expect(result.used).toEqual(['sse']);
    expect(result.offsets).toEqual([...result.offsets].sort((a, b) => a - b));
    expect(new Set(result.offsets).size).toBe(20);
    const fromBrowser = Array.from({ length: 20 }, (_, i) => `b${i + 1}`);
    expect(heard).toEqual([...fromBrowser, 'from node']); // the peer hears its own message too
    expect(result.got).toEqual([...fromBrowser, 'from node']);
    expect(proxy.upgradesRefused).toBeGreaterThan(0);
    peer.close();
  }, 60000);
});
