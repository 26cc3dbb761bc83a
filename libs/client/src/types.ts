/*
 * The few members of the standard WebSocket and WebRTC APIs the library uses, written out so
 * that the browser's own classes, `ws` and `werift` all fit without DOM typings.
 */

export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export interface SessionDescriptionLike {
  type: string;
  sdp: string;
}

export interface IceCandidateInitLike {
  candidate?: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
}

export interface IceCandidateLike extends IceCandidateInitLike {
  toJSON?(): IceCandidateInitLike;
}

export interface DataChannelLike {
  readonly readyState: string;
  binaryType?: string;
  onopen?: ((ev?: unknown) => void) | null;
  onclose?: ((ev?: unknown) => void) | null;
  onmessage?: ((ev: { data: unknown }) => void) | null;
  send(data: never): void;
  close(): void;
}

export interface PeerConnectionLike {
  readonly signalingState: string;
  readonly localDescription?: SessionDescriptionLike | null;
  readonly remoteDescription?: SessionDescriptionLike | null;
  /** `new`, `connecting`, `connected`, `disconnected`, `failed` or `closed` (absent on some runtimes). */
  readonly connectionState?: string;
  onconnectionstatechange?: ((ev?: unknown) => void) | null;
  createOffer(options?: { iceRestart?: boolean }): Promise<SessionDescriptionLike>;
  createAnswer(): Promise<SessionDescriptionLike>;
  setLocalDescription(description: SessionDescriptionLike | { type: 'rollback' }): Promise<unknown>;
  setRemoteDescription(description: SessionDescriptionLike): Promise<unknown>;
  addIceCandidate(candidate: IceCandidateInitLike): Promise<unknown>;
  createDataChannel(label: string, options?: Record<string, unknown>): DataChannelLike;
  onicecandidate?: ((ev: { candidate?: IceCandidateLike | null }) => void) | null;
  ondatachannel?: ((ev: { channel: DataChannelLike }) => void) | null;
  close(): void;
}

/** ICE servers as RTCConfiguration names them. Empty: host candidates only (a LAN, loopback). */
export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}
