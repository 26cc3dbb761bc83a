import { Emitter } from './emitter';
import { PeerManager } from './peer-manager';
import { setRuntime } from './runtime';
import type { SignalingClient, SignalingEvents, SignalType } from './signaling-client';
import type { DataChannelLike, IceCandidateInitLike, PeerConnectionLike, SessionDescriptionLike } from './types';

/** A peer connection that records what was done to it. */
class FakePc implements PeerConnectionLike {
  signalingState = 'stable';
  remoteDescription: SessionDescriptionLike | null = null;
  remoteSet = 0;
  candidates: IceCandidateInitLike[] = [];
  closed = false;
  onicecandidate: PeerConnectionLike['onicecandidate'] = null;
  ondatachannel: PeerConnectionLike['ondatachannel'] = null;
  channel = { readyState: 'connecting', send: () => undefined, close: () => undefined } as unknown as DataChannelLike;
  async createOffer() {
    return { type: 'offer', sdp: 'offer-sdp' };
  }
  async createAnswer() {
    return { type: 'answer', sdp: 'answer-sdp' };
  }
  async setLocalDescription(d: SessionDescriptionLike) {
    this.signalingState = d.type === 'offer' ? 'have-local-offer' : 'stable';
  }
  async setRemoteDescription(d: SessionDescriptionLike) {
    this.remoteSet += 1;
    this.remoteDescription = d;
    this.signalingState = d.type === 'offer' ? 'have-remote-offer' : 'stable';
  }
  async addIceCandidate(c: IceCandidateInitLike) {
    this.candidates.push(c);
  }
  createDataChannel() {
    return this.channel;
  }
  close() {
    this.closed = true;
  }
}

class FakeSignaling extends Emitter<SignalingEvents> {
  sent: Array<{ type: SignalType; to: number; data: unknown }> = [];
  signal(type: SignalType, to: number, data: unknown) {
    this.sent.push({ type, to, data });
  }
  fire<K extends keyof SignalingEvents>(event: K, ...args: SignalingEvents[K]) {
    this.emit(event, ...args);
  }
}

const settle = () => new Promise((r) => setTimeout(r, 5));

describe('PeerManager', () => {
  let pcs: FakePc[];
  let signaling: FakeSignaling;
  let manager: PeerManager;
  beforeEach(() => {
    pcs = [];
    setRuntime({
      createWebSocket: () => {
        throw new Error('not used');
      },
      createPeerConnection: () => {
        const pc = new FakePc();
        pcs.push(pc);
        return pc;
      },
      channelBytes: (b) => b,
    });
    signaling = new FakeSignaling();
    manager = new PeerManager(signaling as unknown as SignalingClient);
  });

  it('makes the offers as the joiner, one per peer, and applies each answer once', async () => {
    signaling.fire('joined', { roomId: 1, peers: [7, 8] });
    await settle();
    expect(signaling.sent.map((s) => [s.type, s.to])).toEqual([
      ['offer', 7],
      ['offer', 8],
    ]);
    const answer = { type: 'answer', sdp: 'a7' };
    signaling.fire('signal', { type: 'answer', from: 7, data: answer });
    signaling.fire('signal', { type: 'answer', from: 7, data: answer }); // repeated
    signaling.fire('signal', { type: 'answer', from: 7, data: { type: 'answer', sdp: 'late' } }); // stale: already stable
    signaling.fire('signal', { type: 'offer', from: 8, data: { type: 'offer', sdp: 'glare' } }); // we offered to 8 ourselves
    await settle();
    expect(pcs[0].remoteSet).toBe(1);
    expect(pcs[1].remoteSet).toBe(0);
    expect(signaling.sent.filter((s) => s.type === 'answer')).toEqual([]);
  });

  it('answers an offer once, queues early candidates and ignores repeated ones', async () => {
    const candidate = { candidate: 'candidate:1 1 udp 1 192.0.2.2 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 };
    const offer = { type: 'offer', sdp: 'o3' };
    signaling.fire('signal', { type: 'offer', from: 3, data: offer });
    signaling.fire('signal', { type: 'ice_candidate', from: 3, data: candidate });
    signaling.fire('signal', { type: 'ice_candidate', from: 3, data: candidate });
    signaling.fire('signal', { type: 'offer', from: 3, data: offer });
    await settle();
    expect(pcs).toHaveLength(1);
    expect(signaling.sent).toEqual([{ type: 'answer', to: 3, data: { type: 'answer', sdp: 'answer-sdp' } }]);
    expect(pcs[0].candidates).toEqual([candidate]);
  });

  it('ignores malformed signals and signals for peers it does not know', async () => {
    signaling.fire('signal', { type: 'offer', from: 4, data: 'not a description' });
    signaling.fire('signal', { type: 'answer', from: 5, data: { type: 'answer', sdp: 'x' } });
    signaling.fire('signal', { type: 'ice_candidate', from: 6, data: { candidate: 'c' } });
    await settle();
    expect(pcs).toHaveLength(0);
    expect(signaling.sent).toEqual([]);
  });

  it('closes and forgets a peer on peer_left', async () => {
    const closed: number[] = [];
    manager.on('close', (id) => closed.push(id));
    signaling.fire('joined', { roomId: 1, peers: [9] });
    await settle();
    signaling.fire('peer_left', { roomId: 1, clientId: 9 });
    expect(pcs[0].closed).toBe(true);
    expect(closed).toEqual([9]);
    signaling.fire('signal', { type: 'ice_candidate', from: 9, data: { candidate: 'c' } });
    await settle();
    expect(pcs[0].candidates).toEqual([]);
    expect(() => manager.sendDataToPeer(9, new Uint8Array([1]))).toThrow(/no open data channel/);
  });
});
