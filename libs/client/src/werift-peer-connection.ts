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
  const noStun = !servers.some((s) => s.urls.startsWith('stun:'));
  const setLocalDescription = pc.setLocalDescription.bind(pc);
  pc.setLocalDescription = (description) => {
    for (const transport of pc.iceTransports) {
      if (noStun) transport.connection.stunServer = undefined;
      if (description?.type === 'offer' || description?.type === 'answer') iceRole(transport.connection as unknown as IceRoles, description.type === 'offer');
    }
    return setLocalDescription(description);
  };
  return pc as unknown as PeerConnectionLike;
}

/** The parts of werift's ICE `Connection` that hold its role. */
interface IceRoles {
  generation: number;
  remoteIsLite?: boolean;
  _iceControlling: boolean;
  checkList: Array<{ iceControlling: boolean }>;
}

/**
 * After an ICE restart the offerer is the controlling agent, as Chromium has it. werift keeps
 * the role of the first negotiation for good (its setter ignores changes once restarted), so a
 * restart Chromium offered to a werift peer that had offered first left both controlling and
 * werift's packets on no nominated pair: the browser received nothing more.
 */
function iceRole(connection: IceRoles, controlling: boolean): void {
  if (connection.generation === 0 || connection.remoteIsLite || connection._iceControlling === controlling) return;
  connection._iceControlling = controlling;
  for (const pair of connection.checkList) pair.iceControlling = controlling;
}
