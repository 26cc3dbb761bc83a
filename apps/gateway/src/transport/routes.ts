import { isRoomName, type JoinStyle, sinceFromQuery, type StreamPosition } from '../../../../libs/protocol/src';

/** The WebSocket endpoints: which dialect a path speaks and whether it needs a credential. */
export interface Route {
  /** Which gateway handles it: the path its @WebSocketGateway is registered under. */
  gateway: '/ws' | '/api/v1/ws';
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
}

/** A request the path matched but whose parameters are wrong (answered 400). */
export interface BadRoute {
  bad: string;
}

/** Matches a request to a route; undefined for an unknown path (answered 404). */
export function matchRoute(pathname: string, query: URLSearchParams = new URLSearchParams()): Route | BadRoute | undefined {
  const route = matchPath(pathname, query);
  if (route === undefined || 'bad' in route || route.room === undefined) return route;
  const since = sinceFromQuery(query);
  if (since === undefined) return route;
  return 'bad' in since ? since : { ...route, since };
}

function matchPath(pathname: string, query: URLSearchParams): Route | BadRoute | undefined {
  const path = pathname.length > 1 && pathname.endsWith('/') ? pathname.slice(0, -1) : pathname;
  if (path === '/api/v1/ws') {
    const channel = query.get('channel_id');
    if (channel === null || channel === '') return { gateway: '/api/v1/ws', authRequired: true, acceptsApiKey: true };
    if (!isRoomName(channel)) return { bad: 'invalid channel_id: use 1-128 letters, digits or _ - . : @ #' };
    return { gateway: '/api/v1/ws', authRequired: true, acceptsApiKey: true, room: channel, style: 'channel' };
  }
  if (path === '/ws') return { gateway: '/ws', authRequired: false, acceptsApiKey: true };
  if (path === '/ws/auth') return { gateway: '/ws', authRequired: true, acceptsApiKey: true };
  const parts = path.split('/');
  // ['', 'ws', room] or ['', 'ws', 'auth', room]
  if (parts[1] !== 'ws') return undefined;
  if (parts.length === 3) return roomRoute(parts[2], false);
  if (parts.length === 4 && parts[2] === 'auth') return roomRoute(parts[3], true);
  return undefined;
}

function roomRoute(encoded: string, authRequired: boolean): Route | undefined {
  let room: string;
  try {
    room = decodeURIComponent(encoded);
  } catch {
    return undefined;
  }
  return isRoomName(room) ? { gateway: '/ws', authRequired, acceptsApiKey: true, room, style: 'chat' } : undefined;
}
