/// <reference lib="dom" />
import { signToken } from '@switchboard/testing';
import type { Page } from 'playwright-core';
import { SwitchboardClient } from '../src/node';
import { type LibraryPage, openLibraryPage } from './chromium';
import { TestCluster, until } from './cluster';
import { exactlyOnceThroughReplicaLoss, type Outcome, type Publisher, publishLoop, ROOM } from './exactly-once';

declare global {
  interface Window {
    Switchboard: typeof import('../src/index');
    pub: { client: import('../src/index').SwitchboardClient; where: string[]; outcome: Outcome };
    mintToken(sub: string, seconds: number): Promise<string>;
  }
}

/** The publisher of the exactly-once scenario (exactly-once.ts) as the library's browser build in Chromium. */
function browserPublisher(page: Page): Publisher {
  return {
    join: (urls, jwt) =>
      page.evaluate(
        async ({ urls, jwt, room }) => {
          // The list is walked from a random index: the first one here, as in Node.
          const random = Math.random;
          Math.random = () => 0;
          const client = new window.Switchboard.SwitchboardClient({ urls, token: jwt, initialDelayMs: 100, maxDelayMs: 1000 });
          Math.random = random;
          const pub: Window['pub'] = (window.pub = { client, where: [], outcome: { settled: [], offsets: [], errors: [], failures: [] } });
          client.on('connected', ({ url }) => pub.where.push(url));
          client.on('failed', (e) => pub.outcome.failures.push(`${e.code}: ${e.message}`));
          await client.room(room).join();
        },
        { urls, jwt, room: ROOM },
      ),
    run: (total, rate) =>
      page.evaluate(
        ({ loop, total, rate, room }) => {
          const run = new Function(`return (${loop})`)() as typeof publishLoop;
          return run(window.pub.client.room(room), window.pub.outcome, total, rate);
        },
        { loop: publishLoop.toString(), total, rate, room: ROOM },
      ),
    where: () => page.evaluate(() => window.pub.where),
    outcome: () => page.evaluate(() => window.pub.outcome),
    close: () => page.evaluate(() => window.pub.client.close()),
  };
}

describe('in Chromium: exactly once through a drain and a SIGKILL (3 replicas, urls failover)', () => {
  let cluster: TestCluster;
  let chromium: LibraryPage;

  beforeAll(async () => {
    cluster = await TestCluster.start(3, { WEBSOCKET_HISTORY_SIZE: '2000' });
    chromium = await openLibraryPage();
  }, 90000);
  afterAll(async () => {
    await chromium?.close();
    await cluster?.stop();
  });

  it('the browser publisher: every publish resolves once; every receiver gets every message once, in order', async () => {
    await exactlyOnceThroughReplicaLoss(cluster, browserPublisher(chromium.page));
  }, 180_000);
});

describe('in Chromium: token refresh', () => {
  let cluster: TestCluster;
  let chromium: LibraryPage;

  beforeAll(async () => {
    cluster = await TestCluster.start(1);
    chromium = await openLibraryPage();
    // The page's token function gets its tokens from here (as it would from its own backend).
    await chromium.page.exposeFunction('mintToken', (sub: string, seconds: number) => signToken({ sub, username: sub }, undefined, seconds));
  }, 90000);
  afterAll(async () => {
    await chromium?.close();
    await cluster?.stop();
  });

  it('10 s tokens from a token function over a 25 s session with traffic: no close, nothing lost', async () => {
    const url = `${cluster.gateways[0].url}/ws/auth`;
    const listener = new SwitchboardClient({ url, token: () => signToken({ sub: 'listener', username: 'listener' }, undefined, 3600) });
    const got: string[] = [];
    listener.room('refresh').on('message', (m) => got.push(String(m.content)));
    await listener.room('refresh').join();
    const result = await chromium.page.evaluate(async (url) => {
      let asked = 0;
      const client = new window.Switchboard.SwitchboardClient({
        url,
        token: () => {
          asked += 1;
          return window.mintToken('browser', 10);
        },
      });
      const closes: number[] = [];
      const refreshed: number[] = [];
      client.on('close', ({ code }) => closes.push(code));
      client.on('refreshed', ({ exp }) => refreshed.push(exp!));
      const room = client.room('refresh');
      await room.join();
      const sent: string[] = [];
      const acked: Array<Promise<unknown>> = [];
      const began = Date.now();
      for (let i = 0; Date.now() - began < 25_000; i++) {
        sent.push(`b${i}`);
        acked.push(room.publish(`b${i}`));
        await new Promise((r) => setTimeout(r, 100));
      }
      await Promise.all(acked);
      const result = { asked, closes: [...closes], refreshed: refreshed.length, sent };
      client.close();
      return result;
    }, url);
    await until('every message at the listener', 10_000, () => got.length >= result.sent.length);
    expect(got).toEqual(result.sent);
    expect(result.closes).toEqual([]);
    expect(result.asked).toBeGreaterThanOrEqual(3);
    expect(result.refreshed).toBeGreaterThanOrEqual(2);
    listener.close();
  }, 60000);

  it('without a token function: closed with 4003 at exp, and failed once', async () => {
    const url = `${cluster.gateways[0].url}/ws/auth`;
    const result = await chromium.page.evaluate(async (url) => {
      const client = new window.Switchboard.SwitchboardClient({ url, token: await window.mintToken('browser-fixed', 3), initialDelayMs: 50 });
      const closes: number[] = [];
      const failed: Array<{ code: string; closeCode?: number }> = [];
      client.on('close', ({ code }) => closes.push(code));
      client.on('failed', (e) => failed.push({ code: e.code, closeCode: e.closeCode }));
      await client.room('expiring').join();
      while (failed.length === 0) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 500));
      return { closes, failed };
    }, url);
    expect(result).toEqual({ closes: [4003], failed: [{ code: 'token_expired', closeCode: 4003 }] });
  }, 30000);
});
