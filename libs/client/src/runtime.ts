import type { DataChannelLike, IceServer, PeerConnectionLike, WebSocketLike } from './types';

/** How the library opens sockets and peer connections: the platform's own, or Node's packages. */
export interface Runtime {
  createWebSocket(url: string): WebSocketLike;
  /**
   * Loads what peer connections need, or throws saying what is missing. A PeerManager calls
   * it when it is created, so a missing WebRTC implementation fails there, not mid-signaling.
   */
  loadPeerConnections?(): void;
  /** A peer connection with `iceServers` and whatever else of RTCConfiguration the application gave (PeerManager's `rtcConfig`). */
  createPeerConnection(config: { iceServers: IceServer[] } & Record<string, unknown>): PeerConnectionLike;
  /** What a data channel's `send` takes for bytes on this platform. */
  channelBytes(bytes: Uint8Array): unknown;
}

type Ctor<T> = new (...args: never[]) => T;

/** The browser's (or any runtime with the standard globals): WebSocket and RTCPeerConnection. */
const standard: Runtime = {
  createWebSocket(url) {
    const WebSocketImpl = (globalThis as unknown as { WebSocket?: Ctor<WebSocketLike> }).WebSocket;
    if (!WebSocketImpl) throw new Error('no WebSocket in this runtime: in Node, import the package\'s Node entry');
    return new (WebSocketImpl as unknown as new (url: string) => WebSocketLike)(url);
  },
  loadPeerConnections() {
    peerConnectionClass();
  },
  createPeerConnection(config) {
    return new (peerConnectionClass() as unknown as new (c: unknown) => PeerConnectionLike)(config);
  },
  channelBytes: (bytes) => bytes,
};

function peerConnectionClass(): Ctor<PeerConnectionLike> {
  const Pc = (globalThis as unknown as { RTCPeerConnection?: Ctor<PeerConnectionLike> }).RTCPeerConnection;
  if (!Pc) throw new Error('no RTCPeerConnection in this runtime: in Node, import the package\'s Node entry (werift)');
  return Pc;
}

let current: Runtime = standard;

/** Replaces the runtime (the Node entry installs `ws`, and `werift` for peer connections). */
export function setRuntime(runtime: Runtime): void {
  current = runtime;
}

export function runtime(): Runtime {
  return current;
}

/** A data channel message as bytes, whatever the platform delivered (string, ArrayBuffer, Buffer, view). */
export function toBytes(data: unknown): Uint8Array {
  if (typeof data === 'string') return new TextEncoder().encode(data);
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new Error('unsupported data channel message (set binaryType to "arraybuffer")');
}

export type { DataChannelLike };
