import type { IncomingMessage } from 'node:http';

/**
 * Whether a `token` cookie may count for a request with this `Origin` and `Host`. A browser
 * attaches cookies to requests any site makes (a form post, a WebSocket), so a cookie proves
 * nothing about who sent the request. Clients without `Origin` are not browsers and count;
 * a browser's origin must be in `allowedOrigins` (WEBSOCKET_ALLOWED_ORIGINS), or, when that
 * holds `*`, be this server's own: its Host, and, when `scheme` is given (`requestScheme`),
 * its scheme too — a plain-HTTP page of the same host cannot use the cookie of the HTTPS site.
 * `Origin: null` (sandboxed pages, files) never counts.
 */
export function cookieOriginAllowed(allowedOrigins: readonly string[], origin: string | undefined, host: string | undefined, scheme?: 'http' | 'https'): boolean {
  if (origin === undefined) return true;
  const wanted = origin.toLowerCase();
  if (!allowedOrigins.includes('*')) return allowedOrigins.some((o) => o.toLowerCase() === wanted);
  if (host === undefined) return false;
  try {
    const url = new URL(origin);
    return url.host.toLowerCase() === host.toLowerCase() && (scheme === undefined || url.protocol === `${scheme}:`);
  } catch {
    return false;
  }
}

/**
 * The scheme the client used: `X-Forwarded-Proto` when the server sits behind a proxy it
 * trusts (TRUST_PROXY; the proxy terminates TLS), else whether this socket is TLS.
 */
export function requestScheme(req: Pick<IncomingMessage, 'headers' | 'socket'>, trustProxy: boolean): 'http' | 'https' {
  if (trustProxy) {
    const forwarded = req.headers['x-forwarded-proto'];
    const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim().toLowerCase();
    if (first === 'https' || first === 'http') return first;
  }
  return (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
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
