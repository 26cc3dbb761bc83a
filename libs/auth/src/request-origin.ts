import type { IncomingMessage } from 'node:http';

/**
 * Whether a `token` cookie may count for a request with this `Origin` and `Host`. A browser
 * attaches cookies to requests any site makes (a form post, a WebSocket), so a cookie proves
 * nothing about who sent the request. Clients without `Origin` are not browsers and count;
 * a browser's origin must be in `allowedOrigins` (WEBSOCKET_ALLOWED_ORIGINS), or, when that
 * holds `*`, be this server's own (its Host). `Origin: null` (sandboxed pages, files) never counts.
 */
export function cookieOriginAllowed(allowedOrigins: readonly string[], origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined) return true;
  const wanted = origin.toLowerCase();
  if (!allowedOrigins.includes('*')) return allowedOrigins.some((o) => o.toLowerCase() === wanted);
  if (host === undefined) return false;
  try {
    return new URL(origin).host.toLowerCase() === host.toLowerCase();
  } catch {
    return false;
  }
}

/** The caller's IP: X-Forwarded-For's first entry when the server sits behind a proxy it trusts (TRUST_PROXY), else the socket's peer. */
export function clientIp(req: Pick<IncomingMessage, 'headers' | 'socket'>, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = req.headers['x-forwarded-for'];
    const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
    if (first) return first;
  }
  return req.socket.remoteAddress ?? 'unknown';
}
