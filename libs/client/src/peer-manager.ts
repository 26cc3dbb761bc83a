import { Emitter } from './emitter';
import { runtime, toBytes } from './runtime';
import type { Signal, SignalingClient } from './signaling-client';
import type { DataChannelLike, IceCandidateInitLike, IceServer, PeerConnectionLike, SessionDescriptionLike } from './types';

/** Bytes that arrived from a peer over its data channel. */
export interface PeerData {
  from: number;
  data: Uint8Array;
}

export interface PeerManagerEvents {
  /** The data channel to this peer is open: `sendDataToPeer` works from now on. */
  open: [number];
  data: [PeerData];
  /** The peer is gone (it left, or its connection closed); it was forgotten. */
  close: [number];
  /** A signaling message could not be applied (logged by the caller, never thrown). */
  error: [Error];
}

export interface PeerManagerOptions {
  /**
   * STUN/TURN servers; default none: host candidates only (a LAN or one machine), and no
   * query to any server, in Node too (werift's own public STUN fallback is switched off).
   */
  iceServers?: IceServer[];
  /** The data channel's label. Default `data`. */
  label?: string;
}

interface Peer {
  id: number;
  pc: PeerConnectionLike;
  channel?: DataChannelLike;
  /** True when this side made the offer. */
  offerer: boolean;
  /** The offer is out and no answer applied yet. */
  awaitingAnswer: boolean;
  /** Our own description being applied (werift resolves it only once candidates are gathered). */
  local?: Promise<unknown>;
  /** Candidates that arrived before the remote description, applied after it. */
  early: IceCandidateInitLike[];
  /** Every candidate and description seen, so a repeated frame is ignored. */
  seen: Set<string>;
}

/**
 * WebRTC data channels to every peer of the signaling client's rooms, through the standard
 * RTCPeerConnection API (the browser's own, or `werift` in Node). The joiner makes the
 * offers — one per peer already in the room — so two sides never offer to each other; ICE
 * candidates trickle as they are found. Repeated or stale signaling frames (a second copy
 * of an offer, an answer nobody waits for, a candidate seen before or for a peer already
 * forgotten) are ignored; the server relays only between members of a common room. On
 * `peer_left` the connection is closed and forgotten.
 */
export class PeerManager extends Emitter<PeerManagerEvents> {
  private readonly peers = new Map<number, Peer>();
  private readonly offs: Array<() => void>;

  constructor(
    private readonly signaling: SignalingClient,
    private readonly options: PeerManagerOptions = {},
  ) {
    super();
    runtime().loadPeerConnections?.();
    this.offs = [
      signaling.on('joined', ({ peers }) => {
        for (const id of peers) if (!this.peers.has(id)) this.offerTo(id).catch((err: Error) => this.emit('error', err));
      }),
      signaling.on('peer_left', ({ clientId }) => this.forget(clientId)),
      signaling.on('signal', (signal) => void this.onSignal(signal).catch((err: Error) => this.emit('error', err))),
      signaling.on('close', () => {
        for (const id of [...this.peers.keys()]) this.forget(id);
      }),
    ];
  }

  /** Peers whose data channel is open. */
  get openPeers(): number[] {
    return [...this.peers.values()].filter((p) => p.channel?.readyState === 'open').map((p) => p.id);
  }

  /** Sends bytes (or text) to one peer over its data channel; throws if the channel is not open. */
  sendDataToPeer(peerId: number, data: Uint8Array | string): void {
    const channel = this.peers.get(peerId)?.channel;
    if (!channel || channel.readyState !== 'open') throw new Error(`no open data channel to peer ${peerId}`);
    channel.send((typeof data === 'string' ? data : runtime().channelBytes(data)) as never);
  }

  /** Closes every peer connection and stops listening to the signaling client. */
  close(): void {
    for (const off of this.offs) off();
    for (const id of [...this.peers.keys()]) this.forget(id);
  }

  private async offerTo(id: number): Promise<void> {
    const peer = this.create(id, true);
    this.attach(peer, peer.pc.createDataChannel(this.options.label ?? 'data'));
    const offer = await peer.pc.createOffer();
    // Sent before it is applied: candidates trickle after it, and the answer waits for `local`.
    peer.local = peer.pc.setLocalDescription(offer);
    peer.awaitingAnswer = true;
    this.signaling.signal('offer', id, plain(offer));
    await peer.local;
  }

  private async onSignal({ type, from, data }: Signal): Promise<void> {
    const key = `${type}:${JSON.stringify(data)}`;
    const existing = this.peers.get(from);
    if (existing?.seen.has(key)) return; // a repeated frame
    if (type === 'offer') {
      if (!isDescription(data, 'offer')) return;
      // We offered to this peer ourselves (we joined after it): its offer is stale.
      if (existing?.offerer) return;
      if (existing) this.forget(from); // a fresh offer from a peer that restarted
      const peer = this.create(from, false);
      peer.seen.add(key);
      await peer.pc.setRemoteDescription(data);
      await this.applyEarly(peer);
      const answer = await peer.pc.createAnswer();
      const applied = peer.pc.setLocalDescription(answer);
      this.signaling.signal('answer', from, plain(answer));
      await applied;
      return;
    }
    if (!existing) return;
    existing.seen.add(key);
    if (type === 'answer') {
      if (!isDescription(data, 'answer') || !existing.awaitingAnswer) return; // stale
      existing.awaitingAnswer = false;
      await existing.local;
      await existing.pc.setRemoteDescription(data);
      await this.applyEarly(existing);
      return;
    }
    if (!isCandidate(data)) return;
    if (!existing.pc.remoteDescription) existing.early.push(data);
    else await existing.pc.addIceCandidate(data);
  }

  private create(id: number, offerer: boolean): Peer {
    const pc = runtime().createPeerConnection({ iceServers: this.options.iceServers ?? [] });
    const peer: Peer = { id, pc, offerer, awaitingAnswer: false, early: [], seen: new Set() };
    this.peers.set(id, peer);
    pc.onicecandidate = (ev) => {
      const c = ev.candidate;
      if (!c || !c.candidate) return; // end of candidates
      if (this.peers.get(id) !== peer) return;
      this.signaling.signal('ice_candidate', id, c.toJSON ? c.toJSON() : { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex });
    };
    pc.ondatachannel = (ev) => this.attach(peer, ev.channel);
    return peer;
  }

  private attach(peer: Peer, channel: DataChannelLike): void {
    peer.channel = channel;
    if ('binaryType' in channel) channel.binaryType = 'arraybuffer';
    channel.onopen = () => {
      if (this.peers.get(peer.id) === peer) this.emit('open', peer.id);
    };
    channel.onmessage = (ev) => {
      if (this.peers.get(peer.id) === peer) this.emit('data', { from: peer.id, data: toBytes(ev.data) });
    };
    channel.onclose = () => {
      if (this.peers.get(peer.id) === peer) this.forget(peer.id);
    };
  }

  private async applyEarly(peer: Peer): Promise<void> {
    for (const c of peer.early.splice(0)) await peer.pc.addIceCandidate(c);
  }

  private forget(id: number): void {
    const peer = this.peers.get(id);
    if (!peer) return;
    this.peers.delete(id);
    try {
      peer.channel?.close();
      peer.pc.close();
    } catch (err) {
      this.emit('error', err as Error);
    }
    this.emit('close', id);
  }
}

function plain(d: SessionDescriptionLike): SessionDescriptionLike {
  return { type: d.type, sdp: d.sdp };
}

function isDescription(data: unknown, type: string): data is SessionDescriptionLike {
  const d = data as SessionDescriptionLike;
  return typeof d === 'object' && d !== null && d.type === type && typeof d.sdp === 'string';
}

function isCandidate(data: unknown): data is IceCandidateInitLike {
  const c = data as IceCandidateInitLike;
  return typeof c === 'object' && c !== null && typeof c.candidate === 'string';
}
