/// <reference lib="dom" />
import { randomBytes } from 'node:crypto';
import { type Browser, chromium, type Page } from 'playwright-core';
import { type AppProcess, clientBundle, metric, signToken, sleep, TestClient, until } from '@switchboard/testing';
import { type Edge, startEdge } from './testing/edge';
import { TEST_SECRETS } from './testing/env';

const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** The gateway WebSocket location of switchboard-routes.conf, with a corporate proxy's rule in front: no upgrades. */
const refuseUpgrades = (routes: string) => {
  const head = 'location ~ ^/(ws(/.*)?|api/v1/ws|signaling)$ {';
  if (!routes.includes(head)) throw new Error('switchboard-routes.conf: the WebSocket location moved; update this test');
  return routes.replace(head, `${head}\n    if ($http_upgrade != "") { return 403; }`);
};

/** What the page holds: frames of the stream, its sessions and close events, and how often EventSource (re)opened. */
interface PageState {
  frames: Array<Record<string, unknown>>;
  sessions: Array<{ session_id: string; session_token: string }>;
  closes: Array<{ code: number; reason: string }>;
  opens: number;
  wsFailed: boolean;
}

/**
 * Chromium where WebSocket is blocked: the committed nginx config (TLS, three gateways on one
 * Redis, docker-compose.yml's environment) behind a proxy rule that refuses every upgrade. A
 * page that cannot open a WebSocket falls back to EventSource on /sse/… and fetch POSTs, and
 * chats with a WebSocket client connected to another replica directly.
 */
describe('SSE through nginx in Chromium, WebSocket refused', () => {
  let edge: Edge;
  let browser: Browser;
  let page: Page;
  const suffix = randomBytes(3).toString('hex');
  const room = `blocked-${suffix}`;
  const token = (sub: string) => signToken({ sub, username: sub }, TEST_SECRETS.JWT_SECRET);
  const state = () => page.evaluate(() => (window as unknown as { sb: PageState }).sb);
  const messages = async () => (await state()).frames.filter((f) => f.type === 'message' && f.room === room).map((f) => f.content as string);
  /** The replica holding the page's stream now, from the replicas' own metrics. */
  const holder = async (): Promise<AppProcess | undefined> => {
    for (const gw of edge.gws) {
      if (gw.proc.exitCode !== null || gw.proc.signalCode !== null) continue;
      if ((await metric(gw, 'switchboard_connections{dialect="rooms-chat",transport="sse"}')) > 0) return gw;
    }
    return undefined;
  };
  const post = (frames: unknown) => page.evaluate((body) => (window as unknown as { post(b: unknown): Promise<number> }).post(body), frames);

  beforeAll(async () => {
    edge = await startEdge({ routes: refuseUpgrades, gatewayEnv: { WEBSOCKET_DRAIN_TIMEOUT: '1s' } });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS });
    page = await (await browser.newContext({ ignoreHTTPSErrors: true })).newPage();
    // Any page of the site gives the origin: nginx's own 404.
    await page.goto(`https://127.0.0.1:${edge.https}/page`);
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await edge?.stop();
  }, 20_000);

  it('falls back to SSE, chats with a WebSocket client on another replica, and nginx spreads the POSTs over the replicas', async () => {
    await page.evaluate(
      async ({ room, token }) => {
        const sb: PageState = { frames: [], sessions: [], closes: [], opens: 0, wsFailed: false };
        Object.assign(window, { sb });
        // The WebSocket first, as a client library tries it; the proxy refuses the upgrade.
        sb.wsFailed = await new Promise<boolean>((resolve) => {
          const ws = new WebSocket(`wss://${location.host}/ws/${room}?token=${token}`);
          ws.onopen = () => (ws.close(), resolve(false));
          ws.onerror = () => resolve(true);
        });
        const es = new EventSource(`/sse/ws/${room}?token=${token}`);
        const post = async (body: unknown) => {
          const s = sb.sessions[sb.sessions.length - 1];
          const res = await fetch(`/sse/session/${s.session_id}`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Session-Token': s.session_token }, body: JSON.stringify(body) });
          return res.status;
        };
        Object.assign(window, { es, post });
        es.onopen = () => sb.opens++;
        es.onmessage = (e) => sb.frames.push(JSON.parse(e.data));
        es.addEventListener('session', (e) => sb.sessions.push(JSON.parse((e as MessageEvent).data)));
        es.addEventListener('close', (e) => sb.closes.push(JSON.parse((e as MessageEvent).data)));
        es.addEventListener('ping', () => void post([]));
      },
      { room, token: token(`page-${suffix}`) },
    );
    expect((await state()).wsFailed).toBe(true);
    await until('the stream to open and join', 10_000, async () => (await state()).frames.some((f) => f.type === 'user_list'));
    const streamOn = (await holder())!;
    const other = edge.gws.find((g) => g !== streamOn)!;
    const ws = await TestClient.connect(`${other.url}/ws/${room}?token=${token(`ws-${suffix}`)}`);
    try {
      await ws.next('user_list');
      const texts = Array.from({ length: 20 }, (_, i) => `from the page ${i}`);
      for (const content of texts) expect(await post({ type: 'message', room, content })).toBe(202);
      for (const content of texts) expect(await ws.next('message')).toMatchObject({ content, username: `page-${suffix}` });
      ws.send({ type: 'message', room, content: 'from the socket' });
      await until('the page to get the socket message', 5000, async () => (await messages()).includes('from the socket'));

      const forwarded = await Promise.all(edge.gws.filter((g) => g !== streamOn).map((g) => metric(g, 'switchboard_sse_uplinks_total{outcome="forwarded"}')));
      const local = await metric(streamOn, 'switchboard_sse_uplinks_total{outcome="local"}');
      expect(forwarded.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      expect(forwarded.reduce((a, b) => a + b, 0) + local).toBe(20);
    } finally {
      await ws.close();
    }
  }, 60_000);

  it("drained mid-traffic, the page's EventSource reconnects through nginx by itself and gets every message once, in order", async () => {
    const doomed = (await holder())!;
    const sender = edge.gws.find((g) => g !== doomed)!;
    const ws = await TestClient.connect(`${sender.url}/ws/${room}?token=${token(`drain-${suffix}`)}`);
    try {
      await ws.next('user_list');
      const before = (await messages()).length;
      const texts = Array.from({ length: 90 }, (_, i) => `drain ${i}`);
      const sending = (async () => {
        for (const content of texts) {
          ws.send({ type: 'message', room, content });
          await sleep(33);
        }
      })();
      await until('some messages before the drain', 5000, async () => (await messages()).length > before + 10);
      doomed.proc.kill('SIGTERM');
      await sending;
      await until('every message after the reconnect', 20_000, async () => (await messages()).slice(before).length >= texts.length);
      expect((await messages()).slice(before)).toEqual(texts);
      const after = await state();
      expect(after.closes).toEqual([{ code: 1012, reason: 'server restarting' }]);
      expect(after.opens).toBe(2);
      expect(await doomed.exited).toBe(0);
      // The new stream is on a live replica, and the page's POSTs reach its new session.
      expect(await post({ type: 'message', room, content: 'after the drain' })).toBe(202);
      expect(await ws.next((f) => f.type === 'message' && f.content === 'after the drain')).toMatchObject({ username: `page-${suffix}` });
    } finally {
      await ws.close();
    }
  }, 60_000);

  it('the client library in the page falls back to SSE by itself and chats with a WebSocket client on another replica; nginx spreads its POSTs', async () => {
    const live = edge.gws.filter((g) => g.proc.exitCode === null && g.proc.signalCode === null);
    const libRoom = `lib-${suffix}`;
    const forwarded = async () => (await Promise.all(live.map((g) => metric(g, 'switchboard_sse_uplinks_total{outcome="forwarded"}')))).reduce((a, b) => a + b, 0);
    const forwardedBefore = await forwarded();
    const libPage = await page.context().newPage();
    await libPage.goto(`https://127.0.0.1:${edge.https}/library`);
    await libPage.addScriptTag({ content: await clientBundle() });
    await libPage.evaluate(
      async ({ room, jwt }) => {
        type Lib = typeof import('@switchboard/client');
        const { SwitchboardClient } = (window as unknown as { Switchboard: Lib }).Switchboard;
        const client = new SwitchboardClient({ url: `wss://${location.host}/ws/auth`, token: jwt, initialDelayMs: 50 });
        const lib = { used: [] as string[], got: [] as string[], offsets: [] as number[], client };
        Object.assign(window, { lib });
        client.on('connected', ({ transport }) => lib.used.push(transport));
        const r = client.room(room);
        r.on('message', (m) => lib.got.push(String(m.content)));
        await r.join();
      },
      { room: libRoom, jwt: token(`lib-${suffix}`) },
    );
    type LibState = { used: string[]; got: string[]; offsets: number[] };
    const libState = () => libPage.evaluate(() => {
      const { used, got, offsets } = (window as unknown as { lib: LibState }).lib;
      return { used, got, offsets };
    });
    expect((await libState()).used).toEqual(['sse']);
    let streamOn: AppProcess | undefined;
    for (const gw of live) if ((await metric(gw, 'switchboard_connections{dialect="rooms-chat",transport="sse"}')) > 0) streamOn = gw;
    const other = live.find((g) => g !== streamOn)!;
    const ws = await TestClient.connect(`${other.url}/ws/${libRoom}?token=${token(`wsl-${suffix}`)}`);
    try {
      await ws.next('user_list');
      // Acknowledged publishes, each a POST that nginx sends to any replica.
      await libPage.evaluate(async (room) => {
        const { lib } = window as unknown as { lib: LibState & { client: { room(r: string): { publish(c: string): Promise<{ offset: number }> } } } };
        for (let i = 0; i < 20; i++) lib.offsets.push((await lib.client.room(room).publish(`lib ${i}`)).offset);
      }, libRoom);
      const texts = Array.from({ length: 20 }, (_, i) => `lib ${i}`);
      for (const content of texts) expect(await ws.next('message')).toMatchObject({ content, username: `lib-${suffix}` });
      ws.send({ type: 'message', room: libRoom, content: 'to the library' });
      await until('the library page to get the socket message', 5000, async () => (await libState()).got.includes('to the library'));
      const after = await libState();
      expect(after.got).toEqual([...texts, 'to the library']);
      expect(new Set(after.offsets).size).toBe(20);
      expect(after.used).toEqual(['sse']);
      expect(await forwarded()).toBeGreaterThan(forwardedBefore);
    } finally {
      await ws.close();
      await libPage.evaluate(() => (window as unknown as { lib: { client: { close(): void } } }).lib.client.close());
      await libPage.close();
    }
  }, 60_000);
});
