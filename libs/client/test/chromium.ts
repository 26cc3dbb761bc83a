import { createServer, type Server } from 'node:http';
import { clientBundle } from '@switchboard/testing';
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

/** Headless Chromium with a page that holds the library's browser build as `window.Switchboard`. */
export interface LibraryPage {
  browser: Browser;
  page: Page;
  close(): Promise<void>;
}

/** Bundles src/index.ts for the browser, serves it from 127.0.0.1 (after `head`, a script run first) and opens it. */
export async function openLibraryPage(head = ''): Promise<LibraryPage> {
  const html = `<!doctype html><title>switchboard</title>${head}<script>${await clientBundle()}</script>`;
  const http: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(html));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS });
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${(http.address() as { port: number }).port}/`);
  return {
    browser,
    page,
    close: async () => {
      await browser.close();
      http.close();
    },
  };
}
