import type { PeerConnectionLike } from '../src/types';

/** The ICE user fragments of a connection's local and remote descriptions: an ICE restart changes both. */
export function iceCredentials(pc: PeerConnectionLike): { local?: string; remote?: string } {
  const ufrag = (sdp?: string) => /a=ice-ufrag:(\S+)/.exec(sdp ?? '')?.[1];
  return { local: ufrag(pc.localDescription?.sdp), remote: ufrag(pc.remoteDescription?.sdp) };
}

/** An ICE restart since `before` is negotiated (new credentials both ways) and the connection is connected. */
export function restarted(pc: PeerConnectionLike, before: { local?: string; remote?: string }): boolean {
  const now = iceCredentials(pc);
  return pc.signalingState === 'stable' && now.local !== before.local && now.remote !== before.remote && pc.connectionState === 'connected';
}
