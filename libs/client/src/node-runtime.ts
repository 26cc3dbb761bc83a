import type * as Werift from 'werift';
import WebSocket from 'ws';
import type { Runtime } from './runtime';
import type { WebSocketLike } from './types';
import { weriftPeerConnection } from './werift-peer-connection';

let werift: typeof Werift | undefined;

/**
 * werift, required the first time a PeerManager is created: it is an optional peer
 * dependency, so chat-only users neither install nor load it (and its media libraries).
 */
function loadWerift(): typeof Werift {
  if (werift) return werift;
  try {
    werift = require('werift') as typeof Werift;
  } catch (err) {
    if ((err as { code?: string }).code !== 'MODULE_NOT_FOUND' || !/'werift'/.test((err as Error).message)) throw err;
    throw new Error('PeerManager in Node needs the optional peer dependency werift (WebRTC in pure TypeScript): npm install werift');
  }
  return werift;
}

/** Node's runtime: `ws` for sockets, werift (loaded on first use) for peer connections. */
export const nodeRuntime: Runtime = {
  createWebSocket: (url) => new WebSocket(url) as unknown as WebSocketLike,
  loadPeerConnections: () => void loadWerift(),
  createPeerConnection: (config) => weriftPeerConnection(loadWerift(), config),
  channelBytes: (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
};
