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
 * packet or DNS lookup for a server nobody configured. ICE restarts are completed the way a
 * browser does them (werift alone leaves a restarted agent without candidates, checks or the
 * offerer's controlling role): see `iceRole`, `announceAfterRestart` and `checkAfterRestart`.
 *
 * Offline by default holds for the other side's candidates too: a browser hides its host
 * address behind an mDNS name (`<uuid>.local`), and werift resolves such a name with a
 * multicast query on every interface (224.0.0.251:5353), a packet that leaves the machine.
 * Those candidates are dropped (from a remote description and from `addIceCandidate`) unless
 * `mdns: true` is given, for peers on one LAN that have no STUN server; a browser's other
 * candidates (server-reflexive, relay, or its plain host address when it is not obfuscated)
 * are kept.
 */
export function weriftPeerConnection(werift: typeof Werift, { iceServers, mdns = false, ...rest }: { iceServers: IceServer[]; mdns?: boolean } & Record<string, unknown>): PeerConnectionLike {
  // werift reads one URL per entry (`urls` as a string): one entry per URL.
  const servers = iceServers.flatMap((s) => (Array.isArray(s.urls) ? s.urls : [s.urls]).map((urls) => ({ ...s, urls })));
  // werift never offers loopback: on a machine with no other interface (a container without a
  // network, a network namespace) it would have no host candidate at all. 127.0.0.1 is then
  // the host address, as Chromium offers it with --allow-loopback-in-peer-connection.
  const loopbackOnly = !Object.values(networkInterfaces()).some((list) => list?.some((i) => !i.internal));
  const pc = new werift.RTCPeerConnection({ ...(loopbackOnly ? { iceAdditionalHostAddresses: ['127.0.0.1'] } : {}), ...rest, iceServers: servers });
  const noStun = !servers.some((s) => s.urls.startsWith('stun:'));
  const setLocalDescription = pc.setLocalDescription.bind(pc);
  pc.setLocalDescription = async (description) => {
    for (const transport of pc.iceTransports) {
      if (noStun) transport.connection.stunServer = undefined;
      if (description?.type === 'offer' || description?.type === 'answer') iceRole(transport.connection as unknown as IceRoles, description.type === 'offer');
      announceAfterRestart(transport.connection as unknown as IceAgent);
    }
    const applied = await setLocalDescription(description);
    checkAfterRestart(pc);
    return applied;
  };
  const setRemoteDescription = pc.setRemoteDescription.bind(pc);
  pc.setRemoteDescription = async (description) => {
    await setRemoteDescription(mdns || !description?.sdp ? description : { ...description, sdp: withoutMdnsCandidates(description.sdp) });
    checkAfterRestart(pc);
  };
  if (!mdns) {
    const addIceCandidate = pc.addIceCandidate.bind(pc);
    pc.addIceCandidate = async (candidate) => {
      if (candidate?.candidate && isMdnsCandidate(candidate.candidate)) return;
      return addIceCandidate(candidate);
    };
  }
  return pc as unknown as PeerConnectionLike;
}

/** `candidate:<foundation> <component> <transport> <priority> <address> <port> typ …`: an address that is an mDNS name. */
function isMdnsCandidate(line: string): boolean {
  return /\.local\.?$/i.test(line.trim().replace(/^a=/, '').split(/\s+/)[4] ?? '');
}

function withoutMdnsCandidates(sdp: string): string {
  return sdp
    .split('\r\n')
    .filter((line) => !(line.startsWith('a=candidate:') && isMdnsCandidate(line)))
    .join('\r\n');
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

/** The parts of werift's ICE `Connection` that an ICE restart needs. */
interface IceAgent {
  generation: number;
  protocols: Array<{ localCandidate?: object }>;
  localCandidates: object[];
  localCandidatesStart: boolean;
  gatherCandidates(): Promise<void>;
  appendLocalCandidate(candidate: object): void;
}

const announcing = new WeakSet<IceAgent>();

/**
 * An ICE restart gathers candidates anew. werift's restart forgets its local candidates but
 * keeps their sockets, and its gathering skips every address that already has one: the
 * restarted agent offered no candidate at all, so the other side had no address to check
 * and waited for checks that (see `checkAfterRestart`) werift never sent. Its host (and relay)
 * sockets are announced again, under the new ufrag and generation `restart` gave them.
 */
function announceAfterRestart(agent: IceAgent): void {
  if (announcing.has(agent)) return;
  announcing.add(agent);
  const gather = agent.gatherCandidates.bind(agent);
  agent.gatherCandidates = async () => {
    const restarted = !agent.localCandidatesStart && agent.generation > 0;
    await gather();
    if (!restarted) return;
    for (const { localCandidate } of agent.protocols) {
      if (localCandidate && !agent.localCandidates.includes(localCandidate)) agent.appendLocalCandidate(localCandidate);
    }
  };
}

/** The parts of a werift connection's transports that `checkAfterRestart` reads. */
interface Transports {
  signalingState: string;
  secureManager: { setConnectionState(state: 'failed'): void };
  dtlsTransports: Array<{ state: string; iceTransport: { connection: IceChecks; start(): Promise<void> } }>;
}

/** The parts of werift's ICE `Connection` that say whether checks ran since the last restart. */
interface IceChecks {
  generation: number;
  remoteUsername?: string;
  localCandidatesStart: boolean;
  /** Set when its checks start (`connect`), cleared by `restart`. */
  earlyChecksDone: boolean;
}

/**
 * werift starts its connectivity checks only while DTLS is not yet connected: after an ICE
 * restart on a live connection (DTLS stays up) its ICE agent, back in state `new`, never
 * checks or nominates a pair, and sends nothing (it has no nominated pair). Once both
 * descriptions of the restart are applied, the checks are started here instead; if they
 * fail, the connection reads `failed`, as when werift's own checks fail. Checks of an earlier
 * restart that found no pair (its candidates never arrived) may still run: werift's restart
 * gave them the new check list, and they end with the new checks.
 */
function checkAfterRestart(pc: Werift.RTCPeerConnection): void {
  const { signalingState, dtlsTransports, secureManager } = pc as unknown as Transports;
  if (signalingState !== 'stable') return;
  for (const dtls of dtlsTransports) {
    const { connection } = dtls.iceTransport;
    if (dtls.state !== 'connected' || connection.generation === 0 || connection.earlyChecksDone || !connection.localCandidatesStart || !connection.remoteUsername) continue;
    dtls.iceTransport.start().catch(() => {
      if (pc.connectionState !== 'closed') secureManager.setConnectionState('failed');
    });
  }
}
