/// <reference lib="dom" />
import type { Page } from 'playwright-core';
import { type LibraryPage, openLibraryPage } from './chromium';

declare global {
  interface Window {
    Switchboard: typeof import('../src/index');
    configs: unknown[];
    candidates: string[];
  }
}

/** Records the configuration of each RTCPeerConnection and the ICE candidates it gathers. */
const RECORDER = `window.configs = []; window.candidates = []; const Native = RTCPeerConnection;
  window.RTCPeerConnection = class extends Native { constructor(c) { super(c); window.configs.push(c);
    this.addEventListener('icecandidate', (e) => e.candidate && e.candidate.candidate && window.candidates.push(e.candidate.candidate)); } };`;

/** Headless Chromium (chromium.ts) with the library as `window.Switchboard` and every peer connection recorded. */
export class BrowserPage {
  private constructor(private readonly opened: LibraryPage) {}

  static async open(): Promise<BrowserPage> {
    return new BrowserPage(await openLibraryPage(`<script>${RECORDER}</script>`));
  }

  get page(): Page {
    return this.opened.page;
  }

  close(): Promise<void> {
    return this.opened.close();
  }
}
