import { runtime } from './runtime';
import { SseSocket } from './sse-socket';
import type { WebSocketLike } from './types';

export type TransportName = 'websocket' | 'sse';

const CONNECTING = 0;

/**
 * Which transport the next attempt takes, and how it is opened. Every connection starts with
 * the first of `order` (the WebSocket by default); an attempt that never opened (an upgrade
 * refused, a network error, or no open within `upgradeTimeoutMs`) moves on to the next one (SSE)
 * on the same URL; once that one too failed, the attempts wrap around to the first on the next URL.
 */
export class Transports {
  private index = 0;

  constructor(
    private readonly order: TransportName[] = ['websocket', 'sse'],
    private readonly upgradeTimeoutMs = 5000,
  ) {
    if (order.length === 0 || order.some((t) => t !== 'websocket' && t !== 'sse')) {
      throw new Error(`transports lists 'websocket' and/or 'sse', got ${JSON.stringify(order)}`);
    }
  }

  get count(): number {
    return this.order.length;
  }

  get current(): TransportName {
    return this.order[this.index];
  }

  /** An attempt ended. Returns whether the next one goes back to the first transport (so to the next URL, when it never opened). */
  ended(opened: boolean): boolean {
    this.index = opened ? 0 : (this.index + 1) % this.order.length;
    return this.index === 0;
  }

  /** Opens the current transport to `url` (a `ws(s)://` URL of the dialect) with the credential and more of the dialect's query (`query`). */
  open(url: string, token: string | undefined, apiKey: string | undefined, query: Record<string, string> = {}): WebSocketLike {
    const target = new URL(url);
    if (this.current === 'websocket' && token !== undefined) target.searchParams.set('token', token);
    else if (this.current === 'websocket' && apiKey !== undefined) target.searchParams.set('api_key', apiKey);
    for (const [name, value] of Object.entries(query)) target.searchParams.set(name, value);
    if (this.current === 'sse') return sseSocket(target, token, apiKey);
    const ws = runtime().createWebSocket(target.toString());
    // A proxy that holds the upgrade: give up on it, so that the next attempt takes SSE.
    const timer = setTimeout(() => ws.readyState === CONNECTING && ws.close(), this.upgradeTimeoutMs);
    (timer as { unref?: () => void }).unref?.();
    return ws;
  }
}

/** The stream of the same dialect path (`/sse` + path), the credential as a header (read with fetch) or none (EventSource). */
function sseSocket(target: URL, token: string | undefined, apiKey: string | undefined): WebSocketLike {
  target.protocol = target.protocol === 'wss:' ? 'https:' : 'http:';
  target.pathname = `/sse${target.pathname}`;
  const headers: Record<string, string> = {};
  if (token !== undefined) headers.Authorization = `Bearer ${token}`;
  else if (apiKey !== undefined) headers['X-API-Key'] = apiKey;
  return new SseSocket(target.toString(), headers);
}
