import type { IncomingHttpHeaders } from 'node:http';

/**
 * Finds a bearer token in a handshake or request, in order: `Authorization: Bearer`,
 * `?token=`, then a `token` cookie.
 */
export function extractToken(headers: IncomingHttpHeaders, query: URLSearchParams): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  const fromQuery = query.get('token');
  if (fromQuery) return fromQuery;
  return cookie(headers.cookie, 'token');
}

export function cookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      try {
        return decodeURIComponent(value) || undefined;
      } catch {
        return value || undefined;
      }
    }
  }
  return undefined;
}
