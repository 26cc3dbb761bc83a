/// <reference lib="dom" />
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { build } from 'esbuild';
import { type Browser, chromium, type Page } from 'playwright-core';

/**
 * Chromium on this machine only (README, "WebRTC configuration"): host names resolve to
 * nothing but loopback, no background services, and for WebRTC loopback candidates allowed
 * and real host addresses instead of mDNS names (a Node peer cannot resolve `.local`, and mDNS
 * is multicast on the LAN). With no `iceServers` the page asks no STUN or TURN server.
 */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-domain-reliability',
  '--no-pings',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
  '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

declare global {
  interface Window {
    Switchboard: typeof import('../src/index');
    configs: unknown[];
    candidates: string[];
  }
}

/** Headless Chromium with a page that has the browser build of the library as `window.Switchboard`. */
export class BrowserPage {
  private constructor(
    private readonly http: Server,
    private readonly browser: Browser,
    readonly page: Page,
  ) {}

  static async open(): Promise<BrowserPage> {
    const bundle = await build({
      entryPoints: [join(__dirname, '..', 'src', 'index.ts')],
      bundle: true,
      platform: 'browser',
      format: 'iife',
      globalName: 'Switchboard',
      write: false,
    });
    // Records the configuration of each RTCPeerConnection and the ICE candidates it gathers.
    const recorder = `window.configs = []; window.candidates = []; const Native = RTCPeerConnection;
      window.RTCPeerConnection = class extends Native { constructor(c) { super(c); window.configs.push(c);
        this.addEventListener('icecandidate', (e) => e.candidate && e.candidate.candidate && window.candidates.push(e.candidate.candidate)); } };`;
    const html = `<!doctype html><title>peer</title><script>${recorder}</script><script>${bundle.outputFiles[0].text}</script>`;
    const http = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(html));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS });
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(http.address() as { port: number }).port}/`);
    return new BrowserPage(http, browser, page);
  }

  async close(): Promise<void> {
    await this.browser.close();
    this.http.close();
  }
}
