import { RTCPeerConnection } from 'werift';
import WebSocket from 'ws';
import { setRuntime } from './runtime';
import type { PeerConnectionLike, WebSocketLike } from './types';

/**
 * The Node entry: `ws` for sockets and `werift` (WebRTC in pure TypeScript, no native
 * download) for peer connections, behind the same API as the browser build.
 */
setRuntime({
  createWebSocket: (url) => new WebSocket(url) as unknown as WebSocketLike,
  createPeerConnection: (config) => new RTCPeerConnection(config as never) as unknown as PeerConnectionLike,
  channelBytes: (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
});

export * from './index';
