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
  /** The peer connection is connected (first time, or again after an ICE restart). */
  peer_connected: [number];
  /** The peer connection went `disconnected` or `failed`: an ICE restart is under way; its data channel stays. */
  peer_reconnecting: [number];
  data: [PeerData];
  /** The peer is gone (it left, or its connection closed); it was forgotten. */
  close: [number];
  /** The same moment as `close`. */
  peer_closed: [number];
  /** A signaling message could not be applied (logged by the caller, never thrown). */
  error: [Error];
}

export interface PeerManagerOptions {
  /**
   * STUN/TURN servers; default none: host candidates only (a LAN or one machine), and no
   * query to any server, in Node too (werift's own public STUN fallback is switched off).
   */
  iceServers?: IceServer[];
  /**
   * More RTCPeerConnection settings for the runtime (e.g. werift's `iceAdditionalHostAddresses`;
   * in Node, `mdns: true` resolves a browser's `.local` candidates by multicast instead of dropping them).
   */
  rtcConfig?: Record<string, unknown>;
  /** The data channel's label. Default `data`. */
  label?: string;
  /** How long a `disconnected` connection may recover by itself before an ICE restart. Default 1 s. */
  disconnectedGraceMs?: number;
}

interface Peer {
  id: number;
  pc: PeerConnectionLike;
  channel?: DataChannelLike;
  /** An offer of ours is being made or waits for its answer. */
  makingOffer: boolean;
  awaitingAnswer: boolean;
  /** Our own description being applied (werift resolves it only once candidates are gathered). */
  local?: Promise<unknown>;
  /** Candidates that arrived before the remote description, applied after it. */
  early: IceCandidateInitLike[];
  /** Every candidate and description seen, so a repeated frame is ignored. */
  seen: Set<string>;
  restartTimer?: ReturnType<typeof setTimeout>;
}

/** How often a restart is tried again while the peer is unreachable (its signaling is away too). */
const RETRY_MS = 1000;

/**
 * WebRTC data channels to every peer of the signaling client's rooms, through the standard
 * RTCPeerConnection API (the browser's own, or `werift` in Node). The joiner makes the first
 * offers — one per peer already in the room; candidates trickle as they are found.
 *
 * Connections outlive signaling: while the signaling client reconnects, open data channels
 * keep carrying data, and what the manager signals waits in the client. When a connection
 * goes `disconnected` (and does not recover within a second) or `failed`, it is renegotiated
 * with an ICE restart on the same RTCPeerConnection — the perfect-negotiation pattern, the
 * peer with the lower client id being the polite one that yields when both offer at once.
 * Peers are forgotten on `peer_left`, when the channel closes, when signaling missed its
 * resume window (`failed`: the others knew us by another id) or closes for good.
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
      signaling.on('error', (err) => {
        // A restart offer that reached a peer still reconnecting: try again shortly.
        if (err.code === 'peer_reconnecting' && err.re === 'offer') for (const peer of this.peers.values()) if (peer.awaitingAnswer) this.scheduleRestart(peer, RETRY_MS);
      }),
      signaling.on('resumed', () => {
        for (const peer of this.peers.values()) if (!this.connected(peer)) this.scheduleRestart(peer, 0);
      }),
      signaling.on('failed', () => this.forgetAll()),
      signaling.on('close', () => this.forgetAll()),
    ];
  }

  /** Peers whose data channel is open. */
  get openPeers(): number[] {
    return [...this.peers.values()].filter((p) => p.channel?.readyState === 'open').map((p) => p.id);
  }

  /** The RTCPeerConnection of a peer (the same one across ICE restarts). */
  connectionOf(peerId: number): PeerConnectionLike | undefined {
    return this.peers.get(peerId)?.pc;
  }

  /** Sends bytes (or text) to one peer over its data channel; throws if the channel is not open. */
  sendDataToPeer(peerId: number, data: Uint8Array | string): void {
    const channel = this.peers.get(peerId)?.channel;
    if (!channel || channel.readyState !== 'open') throw new Error(`no open data channel to peer ${peerId}`);
    channel.send((typeof data === 'string' ? data : runtime().channelBytes(data)) as never);
  }

  /** Renegotiates the connection to a peer with an ICE restart, keeping its RTCPeerConnection and data channel. */
  async restartIce(peerId: number): Promise<void> {
    const peer = this.peers.get(peerId);
    if (!peer) throw new Error(`no peer ${peerId}`);
    await this.offer(peer, true);
  }

  /** Closes every peer connection and stops listening to the signaling client. */
  close(): void {
    for (const off of this.offs) off();
    this.forgetAll();
  }

  private async offerTo(id: number): Promise<void> {
    const peer = this.create(id);
    this.attach(peer, peer.pc.createDataChannel(this.options.label ?? 'data'));
    await this.offer(peer, false);
  }

  private async offer(peer: Peer, iceRestart: boolean): Promise<void> {
    clearTimeout(peer.restartTimer);
    peer.makingOffer = true;
    try {
      const offer = await peer.pc.createOffer(iceRestart ? { iceRestart: true } : undefined);
      if (this.peers.get(peer.id) !== peer) return;
      // Sent before it is applied: candidates trickle after it, and the answer waits for `local`.
      peer.local = peer.pc.setLocalDescription(offer);
      peer.awaitingAnswer = true;
      this.signaling.signal('offer', peer.id, plain(offer));
      await peer.local;
    } finally {
      peer.makingOffer = false;
    }
  }

  private async onSignal({ type, from, data }: Signal): Promise<void> {
    const key = `${type}:${JSON.stringify(data)}`;
    const existing = this.peers.get(from);
    if (existing?.seen.has(key)) return; // a repeated frame
    if (type === 'offer') {
      if (!isDescription(data, 'offer')) return;
      const peer = existing ?? this.create(from);
      peer.seen.add(key);
      const collision = peer.makingOffer || peer.awaitingAnswer;
      if (collision) {
        // Both offered: the impolite side (the higher id) keeps its own offer.
        if (!this.polite(from)) return;
        await peer.local?.catch(() => undefined);
        await peer.pc.setLocalDescription({ type: 'rollback' }).catch(() => undefined);
        peer.awaitingAnswer = false;
      }
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
    if (!existing.pc.remoteDescription || existing.awaitingAnswer) existing.early.push(data);
    else await existing.pc.addIceCandidate(data);
  }

  private create(id: number): Peer {
    const pc = runtime().createPeerConnection({ ...this.options.rtcConfig, iceServers: this.options.iceServers ?? [] });
    const peer: Peer = { id, pc, makingOffer: false, awaitingAnswer: false, early: [], seen: new Set() };
    this.peers.set(id, peer);
    pc.onicecandidate = (ev) => {
      const c = ev.candidate;
      if (!c || !c.candidate) return; // end of candidates
      if (this.peers.get(id) !== peer) return;
      this.signaling.signal('ice_candidate', id, c.toJSON ? c.toJSON() : { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex });
    };
    pc.ondatachannel = (ev) => this.attach(peer, ev.channel);
    pc.onconnectionstatechange = () => this.stateChanged(peer);
    return peer;
  }

  private stateChanged(peer: Peer): void {
    if (this.peers.get(peer.id) !== peer) return;
    const state = peer.pc.connectionState;
    if (state === 'connected') {
      clearTimeout(peer.restartTimer);
      this.emit('peer_connected', peer.id);
    } else if (state === 'disconnected' || state === 'failed') {
      this.emit('peer_reconnecting', peer.id);
      this.scheduleRestart(peer, state === 'failed' ? 0 : (this.options.disconnectedGraceMs ?? 1000));
    }
  }

  /** An ICE restart after `ms`, unless the connection recovered by then; the polite side waits a little longer, so the impolite one usually goes first. */
  private scheduleRestart(peer: Peer, ms: number): void {
    clearTimeout(peer.restartTimer);
    peer.restartTimer = setTimeout(
      () => {
        if (this.peers.get(peer.id) !== peer || this.connected(peer) || peer.makingOffer) return;
        peer.awaitingAnswer = false;
        this.offer(peer, true).catch((err: Error) => this.emit('error', err));
      },
      ms + (this.polite(peer.id) ? 250 : 0),
    );
  }

  private connected(peer: Peer): boolean {
    return peer.pc.connectionState === undefined || peer.pc.connectionState === 'connected';
  }

  /** Perfect negotiation's roles: the peer with the lower client id yields when both offer at once. */
  private polite(other: number): boolean {
    return this.signaling.clientId < other;
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

  private forgetAll(): void {
    for (const id of [...this.peers.keys()]) this.forget(id);
  }

  private forget(id: number): void {
    const peer = this.peers.get(id);
    if (!peer) return;
    this.peers.delete(id);
    clearTimeout(peer.restartTimer);
    try {
      peer.channel?.close();
      peer.pc.close();
    } catch (err) {
      this.emit('error', err as Error);
    }
    this.emit('close', id);
    this.emit('peer_closed', id);
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
