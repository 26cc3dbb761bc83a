/// <reference lib="dom" />
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { build } from 'esbuild';
import { type Browser, chromium, type Page } from 'playwright-core';
import { LoopbackStun, loopbackRtcConfig } from '@switchboard/testing';
import { PeerManager, type PeerData, SignalingClient } from '../src/node';
import { TestCluster, token, until } from './cluster';

// Host candidates only, no mDNS names (a Node peer cannot resolve them), loopback allowed.
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

declare global {
  interface Window {
    Switchboard: typeof import('../src/index');
    peer: { room?: number; id?: number; opened: number[]; received: Array<{ from: number; text: string }>; send(to: number, text: string): void };
  }
}

/** The browser build of the library in headless Chromium (native RTCPeerConnection) and a werift peer in Node. */
describe('a browser peer and a Node peer through the cluster', () => {
  let cluster: TestCluster;
  let browser: Browser;
  let page: Page;
  let http: Server;

  beforeAll(async () => {
    const bundle = await build({
      entryPoints: [join(__dirname, '..', 'src', 'index.ts')],
      bundle: true,
      platform: 'browser',
      format: 'iife',
      globalName: 'Switchboard',
      write: false,
    });
    const html = `<!doctype html><title>peer</title><script>${bundle.outputFiles[0].text}</script>`;
    http = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(html));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    cluster = await TestCluster.start(2);
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS });
    page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(http.address() as { port: number }).port}/`);
  }, 90000);
  afterAll(async () => {
    await browser?.close();
    await cluster?.stop();
    http?.close();
  });

  it('opens a data channel and exchanges messages both ways', async () => {
    const room = await page.evaluate(
      async ({ url, jwt }) => {
        const { SignalingClient: Client, PeerManager: Manager } = window.Switchboard;
        const client = await Client.connect(url, { token: jwt });
        const manager = new Manager(client);
        const peer: Window['peer'] = {
          id: client.clientId,
          opened: [],
          received: [],
          send: (to, text) => manager.sendDataToPeer(to, new TextEncoder().encode(text)),
        };
        manager.on('open', (id) => peer.opened.push(id));
        manager.on('data', ({ from, data }) => peer.received.push({ from, text: new TextDecoder().decode(data) }));
        window.peer = peer;
        peer.room = await client.createRoom();
        return peer.room;
      },
      { url: cluster.signaling(0), jwt: token('browser') },
    );
    const browserId = await page.evaluate(() => window.peer.id!);

    const client = await SignalingClient.connect(cluster.signaling(1), { token: token('node') });
    const stun = await LoopbackStun.start();
    const manager = new PeerManager(client, loopbackRtcConfig(stun));
    const received: PeerData[] = [];
    const opened = new Set<number>();
    manager.on('open', (id) => opened.add(id));
    manager.on('data', (d) => received.push(d));
    try {
      expect(await client.joinRoom(room)).toEqual([browserId]);
      await until('node side open', 30000, () => opened.has(browserId));
      await page.waitForFunction((id) => window.peer.opened.includes(id), client.clientId, { timeout: 30000 });

      manager.sendDataToPeer(browserId, new TextEncoder().encode('hello browser'));
      await page.waitForFunction((id) => window.peer.received.some((r) => r.from === id && r.text === 'hello browser'), client.clientId);
      await page.evaluate((id) => window.peer.send(id, 'hello node'), client.clientId);
      const got = await until('message from the browser', 20_000, () => received[0]);
      expect(got.from).toBe(browserId);
      expect(new TextDecoder().decode(got.data)).toBe('hello node');
    } finally {
      manager.close();
      client.close();
      await stun.close();
    }
  }, 90000);
});
