import { networkInterfaces } from 'node:os';
import type * as Werift from 'werift';
import type { IceServer, PeerConnectionLike } from './types';

/**
 * A werift RTCPeerConnection configured as the standard API reads `iceServers`: the servers
 * given and no others. werift's ICE layer (its `Connection`) queries stun.l.google.com:19302
 * whenever it is given no STUN server, `iceServers: []` included, and then waits up to 5 s for
 * an answer before its candidates are complete. Without a `stun:` URL here that fallback is
 * cleared on every ICE transport just before candidates are gathered (gathering happens only
 * in `setLocalDescription`, ICE restarts included), so `[]` means host candidates only and no
 * packet or DNS lookup for a server nobody configured.
 */
export function weriftPeerConnection(werift: typeof Werift, { iceServers, ...rest }: { iceServers: IceServer[] } & Record<string, unknown>): PeerConnectionLike {
  // werift reads one URL per entry (`urls` as a string): one entry per URL.
  const servers = iceServers.flatMap((s) => (Array.isArray(s.urls) ? s.urls : [s.urls]).map((urls) => ({ ...s, urls })));
  // werift never offers loopback: on a machine with no other interface (a container without a
  // network, a network namespace) it would have no host candidate at all. 127.0.0.1 is then
  // the host address, as Chromium offers it with --allow-loopback-in-peer-connection.
  const loopbackOnly = !Object.values(networkInterfaces()).some((list) => list?.some((i) => !i.internal));
  const pc = new werift.RTCPeerConnection({ ...(loopbackOnly ? { iceAdditionalHostAddresses: ['127.0.0.1'] } : {}), ...rest, iceServers: servers });
  if (!servers.some((s) => s.urls.startsWith('stun:'))) {
    const setLocalDescription = pc.setLocalDescription.bind(pc);
    pc.setLocalDescription = (description) => {
      for (const transport of pc.iceTransports) transport.connection.stunServer = undefined;
      return setLocalDescription(description);
    };
  }
  return pc as unknown as PeerConnectionLike;
}
