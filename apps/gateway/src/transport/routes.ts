import { type JoinStyle, sinceFromQuery, type StreamPosition } from '@switchboard/protocol';
import type { BadRoute, Dialect } from './dialect';

export type { BadRoute } from './dialect';

/** A WebSocket endpoint a request matched: its dialect, credential rule and room on connect. */
export interface Route {
  dialect: Dialect;
  /** Always needs a credential (else only when WEBSOCKET_REQUIRE_AUTH=true). */
  authRequired: boolean;
  /** An API key (`X-API-Key`, `?api_key=`) is a credential here, besides a JWT. */
  acceptsApiKey: boolean;
  /** Room joined on connect (`/ws/{room}`, `?channel_id=`), if any. */
  room?: string;
  /** How that room is joined. */
  style?: JoinStyle;
  /** `?since=&epoch=`: resume that room from there. */
  since?: StreamPosition;
  /** A session to resume (signaling `?resume=`). */
  resume?: string;
  /** `?limits=1`: the client wants the `limits` frame first (seed clients never ask). */
  limits?: boolean;
}

/** Matches a request to the first of `dialects` that claims its path; undefined for an unknown path (answered 404). */
export function matchRoute(dialects: readonly Dialect[], pathname: string, query: URLSearchParams = new URLSearchParams()): Route | BadRoute | undefined {
  const path = pathname.length > 1 && pathname.endsWith('/') ? pathname.slice(0, -1) : pathname;
  for (const dialect of dialects) {
    const params = dialect.match(path, query);
    if (params === undefined) continue;
    if ('bad' in params) return params;
    const route: Route = { dialect, authRequired: dialect.credential.required, acceptsApiKey: dialect.credential.apiKey, ...params };
    if (query.get('limits') === '1') route.limits = true;
    if (route.room === undefined) return route;
    const since = sinceFromQuery(query);
    if (since === undefined) return route;
    return 'bad' in since ? since : { ...route, since };
  }
  return undefined;
}
