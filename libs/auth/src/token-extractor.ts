import type { IncomingHttpHeaders } from 'node:http';

/** A bearer token and where it came from: a cookie is sent by the browser on its own, the others by the page. */
export interface FoundToken {
  token: string;
  source: 'header' | 'query' | 'cookie';
}

/**
 * Finds a bearer token in a handshake or request, in order: `Authorization: Bearer`,
 * `?token=`, then a `token` cookie.
 */
export function findToken(headers: IncomingHttpHeaders, query: URLSearchParams): FoundToken | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return { token: m[1], source: 'header' };
  }
  const fromQuery = query.get('token');
  if (fromQuery) return { token: fromQuery, source: 'query' };
  const fromCookie = cookie(headers.cookie, 'token');
  return fromCookie === undefined ? undefined : { token: fromCookie, source: 'cookie' };
}

/** An API key: `X-API-Key` header, `Authorization: ApiKey <key>`, or `?api_key=`. */
export function findApiKey(headers: IncomingHttpHeaders, query: URLSearchParams): string | undefined {
  const header = headers['x-api-key'];
  if (typeof header === 'string' && header !== '') return header;
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = /^ApiKey\s+(\S+)$/i.exec(auth);
    if (m) return m[1];
  }
  return query.get('api_key') || undefined;
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
