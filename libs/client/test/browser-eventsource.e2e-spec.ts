/// <reference lib="dom" />
import { type MessageFrame, SwitchboardClient } from '../src/node';
import type { LibraryPage } from './chromium';
import { TestCluster, token, until } from './cluster';
import { UpgradeProxy } from './upgrade-proxy';

interface PageState {
  used: Array<{ transport: string; url: string }>;
  closes: number[];
  got: string[];
  acked: number[];
  failed: string[];
}

declare global {
  interface Window {
    Switchboard: typeof import('../src/index');
    eventSources: string[];
    streamFetches: string[];
    state: PageState;
  }
}

/** Records every EventSource the page opens, and every fetch that is not a POST (a stream read with fetch would be one). */
const RECORDER = `<script>window.eventSources = []; window.streamFetches = [];
  const NativeEventSource = EventSource;
  window.EventSource = class extends NativeEventSource { constructor(url, init) { super(url, init); window.eventSources.push(String(url)); } };
  const nativeFetch = window.fetch;
  window.fetch = function (url, init) { if (!init || (init.method || 'GET') !== 'POST') window.streamFetches.push(String(url)); return nativeFetch.call(window, url, init); };
</script>`;

describe('in Chromium: the SSE fallback over EventSource (no credential header), behind a proxy that refuses upgrades and spreads requests over two replicas', () => {
  let cluster: TestCluster;
  let proxy: UpgradeProxy;
  let chromium: LibraryPage;

  beforeAll(async () => {
    cluster = await TestCluster.start(2);
    proxy = await UpgradeProxy.start(cluster.gateways.map((g) => g.url));
    proxy.refuseUpgrades = true;
    chromium = await proxy.openPage(RECORDER); // streams and POSTs are same-origin
  }, 90000);
  afterAll(async () => {
    await chromium?.close();
    await proxy?.close();
    await cluster?.stop();
  });

  it('a guest on /ws: chats with a WebSocket client on the other replica, and resumes across a drain of its replica with nothing lost or repeated', async () => {
    const page = chromium.page;
    await page.evaluate(async (url) => {
      const state: PageState = { used: [], closes: [], got: [], acked: [], failed: [] };
      window.state = state;
      const client = new window.Switchboard.SwitchboardClient({ url, initialDelayMs: 50, maxDelayMs: 200 });
      (window as unknown as { client: unknown }).client = client;
      client.on('connected', ({ transport, url: at }) => state.used.push({ transport, url: at }));
      client.on('close', ({ code }) => state.closes.push(code));
      client.on('gap', (g) => state.failed.push(`gap ${JSON.stringify(g)}`));
      const room = client.room('den');
      room.on('message', (m) => {
        if (m.username === 'wes') state.got.push(String(m.content));
      });
      await room.join();
    }, `${proxy.url}/ws?user_id=gus`);
    const holder = proxy.streamTargets[proxy.streamTargets.length - 1];
    const other = cluster.gateways.find((g) => g.url !== holder)!;
    const drained = cluster.gateways.find((g) => g.url === holder)!;

    const peer = new SwitchboardClient({ url: `${other.url}/ws/auth`, token: token('wes'), transports: ['websocket'] });
    const fromGuest: MessageFrame[] = [];
    peer.room('den').on('message', (m) => {
      if (m.user_id === 'gus' && (m as { guest?: boolean }).guest) fromGuest.push(m); // a guest's frames say so
    });
    await peer.room('den').join();

    // The guest publishes 20 messages, acknowledged, one every 50 ms: before, across and after the drain.
    const publishing = page.evaluate(async () => {
      const room = (window as unknown as { client: import('../src/index').SwitchboardClient }).client.room('den');
      const acks: Array<Promise<{ offset: number }>> = [];
      for (let i = 1; i <= 20; i++) {
        acks.push(room.publish(`g${i}`));
        await new Promise((r) => setTimeout(r, 50));
      }
      window.state.acked = (await Promise.all(acks)).map((a) => a.offset);
    });
    const total = 100;
    let n = 0;
    const sent: Array<Promise<unknown>> = [];
    const ticker = setInterval(() => {
      sent.push(peer.room('den').publish(String(++n)));
      if (n === total) clearInterval(ticker);
    }, 20);
    const received = () => page.evaluate(() => window.state.got.length);
    await until('30 messages in the page before the drain', 20_000, async () => (await received()) >= 30);
    await drained.stop('SIGTERM');
    await until('every message in the page after the drain', 30_000, async () => n === total && (await received()) >= total);
    await Promise.all(sent);
    await publishing;
    await until('every message of the guest at the peer', 20_000, () => fromGuest.length >= 20);

    const state = await page.evaluate(() => window.state);
    expect(state.used.map((u) => u.transport)).toEqual(['sse', 'sse']);
    expect(state.closes).toContain(1012);
    expect(state.failed).toEqual([]);
    expect(state.got).toEqual(Array.from({ length: total }, (_, i) => String(i + 1)));
    expect(fromGuest.map((m) => String(m.content))).toEqual(Array.from({ length: 20 }, (_, i) => `g${i + 1}`));
    expect(fromGuest.map((m) => m.offset)).toEqual(state.acked);
    expect(new Set(state.acked).size).toBe(20);

    // Read with EventSource, once per stream, never with fetch; refused upgrades first; POSTs on both replicas.
    const sources = await page.evaluate(() => window.eventSources);
    expect(sources.length).toBeGreaterThanOrEqual(2);
    for (const url of sources) expect(new URL(url).pathname).toBe('/sse/ws');
    expect(await page.evaluate(() => window.streamFetches)).toEqual([]);
    expect(proxy.upgradesRefused).toBeGreaterThan(0);
    expect(proxy.streamTargets[proxy.streamTargets.length - 1]).toBe(other.url);
    expect(proxy.postTargets.filter((t) => t === other.url).length).toBeGreaterThan(0);
    expect(proxy.postTargets.filter((t) => t === holder).length).toBeGreaterThan(0);
    await page.evaluate(() => (window as unknown as { client: { close(): void } }).client.close());
    peer.close();
  }, 90000);
});
