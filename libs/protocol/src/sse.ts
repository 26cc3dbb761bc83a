/**
 * The SSE transport's names (docs/protocol/sse.md): where a stream opens, where its uplink
 * POSTs go, the header that carries the session token and the events that are not a
 * dialect's frames. Every dialect frame travels as an unnamed event (`message`) whose data is
 * the frame's JSON, byte for byte what a WebSocket would carry.
 */
export const Sse = {
  /** `GET /sse<dialect path>` opens a stream (`/sse/ws/lobby`, `/sse/api/v1/ws?channel_id=7`, `/sse/signaling`). */
  prefix: '/sse',
  /** `POST /sse/session/<session_id>` sends client frames up. */
  sessionPath: '/sse/session/',
  /** The header a POST presents the session token in. */
  tokenHeader: 'X-Session-Token',
  /** The stream's own events. */
  event: {
    /** First on every stream: `{session_id, session_token}`, where to POST and with what. */
    session: 'session',
    /** The server ends the stream: `{code, reason}`, a WebSocket close code (1012: reconnect; EventSource does). */
    close: 'close',
    /** A heartbeat: answer with any POST (an empty array will do) within WEBSOCKET_PONG_WAIT. */
    ping: 'ping',
  },
} as const;
