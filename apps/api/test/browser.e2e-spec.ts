/// <reference lib="dom" />
import { until } from '@switchboard/testing';
import { type Browser, chromium, type Page } from 'playwright-core';
import { type Standalone, startStandalone } from './support/standalone';

const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Seed 003's HTML client, driven in headless Chromium against the standalone server. */
describe('the HTML test client at /', () => {
  let sa: Standalone;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    sa = await startStandalone();
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS });
    page = await browser.newPage();
  }, 60000);
  afterAll(async () => {
    await browser?.close();
    await sa?.app.close();
  });

  const eventsText = () => page.locator('#events').innerText();

  it('registers, logs in, connects, pings, sends, edits and deletes messages, and shows stats', async () => {
    const sockets: string[] = [];
    page.on('websocket', (ws) => sockets.push(ws.url()));
    await page.goto(sa.http + '/');
    expect(await page.title()).toMatch(/Switchboard/);

    await page.fill('#username', 'browser');
    await page.fill('#password', 'secret123');
    await page.fill('#email', 'browser@example.com');
    await page.click('#register');
    await page.waitForFunction(() => document.getElementById('account')!.textContent!.includes('registered browser'));
    await page.click('#login');
    await page.waitForFunction(() => document.getElementById('account')!.textContent!.includes('logged in as browser'));

    await page.fill('#channel', 'general');
    await page.click('#connect');
    await page.waitForFunction(() => document.getElementById('status')!.textContent === 'connected');
    await page.waitForFunction(() => document.getElementById('joined')!.textContent!.includes('general'));
    // The token travelled in a cookie for the WebSocket path, not in the URL (URLs are logged),
    // and the cookie is gone once the socket is open.
    expect(sockets).toEqual([`${sa.url}/api/v1/ws?channel_id=general`]);
    expect(await page.context().cookies()).toEqual([]);

    await page.click('#ping');
    await page.waitForFunction(() => document.getElementById('events')!.textContent!.includes('"type":"pong"'));

    await page.fill('#content', 'hello from the browser');
    await page.click('#send');
    const item = page.locator('#messages li', { hasText: 'hello from the browser' });
    await item.waitFor();
    expect(await eventsText()).toContain('"type":"new_message"');

    page.once('dialog', (d) => void d.accept('edited in the browser'));
    await item.locator('button.edit').click();
    await page.locator('#messages li', { hasText: 'edited in the browser (edited)' }).waitFor();
    expect(await eventsText()).toContain('"type":"message_updated"');

    await page.locator('#messages li button.delete').click();
    await page.waitForFunction(() => document.querySelectorAll('#messages li').length === 0);
    expect(await eventsText()).toContain('"type":"message_deleted"');

    await page.fill('#channel', 'random');
    await page.click('#join');
    await page.waitForFunction(() => document.getElementById('joined')!.textContent!.includes('random'));
    await page.click('#leave');
    await page.waitForFunction(() => !document.getElementById('joined')!.textContent!.includes('random'));

    // The count reaches presence within 100 ms of the leave: refresh until the page shows it.
    await until('the page\'s stats showing one client', 10000, async () => {
      await page.click('#refresh-stats');
      return (await page.locator('#stats').innerText()).includes('"total_clients": 1');
    });
    expect(await page.locator('#stats').innerText()).toContain('"general": 1');

    await page.click('#history');
    await page.waitForFunction(() => document.getElementById('events')!.textContent!.includes('loaded 0 messages'));
  }, 60000);

  it('serves Swagger UI at /docs, rendering every tag and the login operation', async () => {
    const docs = await browser.newPage();
    await docs.goto(sa.http + '/docs');
    await docs.waitForSelector('.opblock-summary-path', { timeout: 20000 });
    const paths = await docs.locator('.opblock-summary-path').allInnerTexts();
    expect(paths.map((p) => p.replace(/\u200b/g, ''))).toEqual(expect.arrayContaining(['/auth/login', '/api/v1/messages', '/broadcast']));
    expect(await docs.locator('.auth-wrapper .authorize').count()).toBe(1);
    await docs.close();
  }, 30000);
});
