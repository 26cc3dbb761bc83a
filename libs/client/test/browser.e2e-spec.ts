/// <reference lib="dom" />
import type { Page } from 'playwright-core';
import { PeerManager, type PeerData, SignalingClient } from '../src/node';
import { TestCluster, token, until } from './cluster';
import { keepOffline } from './offline';
import { BrowserPage } from './browser';

declare global {
  interface Window {
    peer: { room?: number; id?: number; opened: number[]; received: Array<{ from: number; text: string }>; send(to: number, text: string): void };
  }
}

/** The browser build of the library in headless Chromium (native RTCPeerConnection) and a werift peer in Node. */
describe('a browser peer and a Node peer through the cluster', () => {
  keepOffline();
  let cluster: TestCluster;
  let browser: BrowserPage;
  let page: Page;

  beforeAll(async () => {
    browser = await BrowserPage.open();
    page = browser.page;
    cluster = await TestCluster.start(2);
  }, 90000);
  afterAll(async () => {
    await browser?.close();
    await cluster?.stop();
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
    const manager = new PeerManager(client);
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

      // No ICE server given, so no srflx or relay candidate, and no mDNS name: the browser's own
      // addresses only (none at all in a loopback-only namespace: it answers from loopback).
      expect(await page.evaluate(() => window.configs)).toEqual([{ iceServers: [] }]);
      const candidates = await page.evaluate(() => window.candidates);
      expect(candidates.filter((c) => !/ typ host( |$)/.test(c) || /\.local /.test(c))).toEqual([]);
    } finally {
      manager.close();
      client.close();
    }
  }, 90000);
});
