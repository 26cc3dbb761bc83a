import * as werift from 'werift';
import { until } from '@switchboard/testing';
import { keepOffline } from '../test/offline';
import { weriftPeerConnection } from './werift-peer-connection';

describe('weriftPeerConnection', () => {
  keepOffline();

  it('gives werift one entry per URL, so a STUN or TURN URL inside a urls array is used', () => {
    const pc = weriftPeerConnection(werift, {
      iceServers: [{ urls: ['stun:127.0.0.1:3478', 'turn:127.0.0.1:3478'], username: 'u', credential: 'c' }, { urls: 'stun:127.0.0.1:3479' }],
    }) as unknown as werift.RTCPeerConnection;
    expect(pc.getConfiguration().iceServers).toEqual([
      { urls: 'stun:127.0.0.1:3478', username: 'u', credential: 'c' },
      { urls: 'turn:127.0.0.1:3478', username: 'u', credential: 'c' },
      { urls: 'stun:127.0.0.1:3479' },
    ]);
    pc.close();
  });

  it('carries data again after each of several ICE restarts on one connection, offered by either side, one of them lost', async () => {
    const a = weriftPeerConnection(werift, { iceServers: [] }) as unknown as werift.RTCPeerConnection;
    const b = weriftPeerConnection(werift, { iceServers: [] }) as unknown as werift.RTCPeerConnection;
    const ufrags = (pc: werift.RTCPeerConnection) => pc.iceTransports.map((t) => t.connection.localUsername);
    const channels: Record<'a' | 'b', werift.RTCDataChannel | undefined> = { a: a.createDataChannel('data'), b: undefined };
    const received: Record<'a' | 'b', string[]> = { a: [], b: [] };
    channels.a!.onMessage.subscribe((m) => received.a.push(String(m)));
    b.onDataChannel.subscribe((channel) => {
      channels.b = channel;
      channel.onMessage.subscribe((m) => received.b.push(String(m)));
    });
    const exchange = async (text: string) => {
      channels.a!.send(`${text} a→b`);
      channels.b!.send(`${text} b→a`);
      await until(`"${text}" both ways`, 20_000, () => received.b.includes(`${text} a→b`) && received.a.includes(`${text} b→a`));
    };
    try {
      await negotiate(a, b, false);
      await until('channel open on both sides', 20_000, () => channels.a!.readyState === 'open' && channels.b?.readyState === 'open');
      await exchange('before');
      for (const [n, [offerer, answerer]] of [[a, b], [b, a], [a, b]].entries()) {
        const before = [ufrags(a), ufrags(b)];
        await negotiate(offerer, answerer, true);
        // A restart: new ICE credentials on both sides, the same data channel.
        expect([ufrags(a), ufrags(b)].flat()).not.toContain(before[0][0]);
        expect([ufrags(a), ufrags(b)].flat()).not.toContain(before[1][0]);
        await exchange(`after restart ${n + 1}`);
      }
      // A restart whose candidates never reach the other side (its checks find nothing and
      // keep waiting), then one that gets through while they still run, then another.
      await negotiate(a, b, true, false);
      await negotiate(b, a, true);
      await exchange('after a restart without candidates and one more');
      await negotiate(a, b, true);
      await exchange('after the next restart');
      expect([channels.a!.readyState, channels.b!.readyState]).toEqual(['open', 'open']);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }, 60000);

  it('makes the offerer of an ICE restart the controlling agent, the answerer controlled (werift would keep the first roles)', async () => {
    const a = weriftPeerConnection(werift, { iceServers: [] }) as unknown as werift.RTCPeerConnection;
    const b = weriftPeerConnection(werift, { iceServers: [] }) as unknown as werift.RTCPeerConnection;
    const controlling = (pc: werift.RTCPeerConnection) => pc.iceTransports.map((t) => t.connection.iceControlling);
    try {
      a.createDataChannel('data');
      await negotiate(a, b, false);
      expect([controlling(a), controlling(b)]).toEqual([[true], [false]]);
      await negotiate(b, a, true);
      expect([controlling(a), controlling(b)]).toEqual([[false], [true]]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('drops a browser\'s mDNS (.local) candidates instead of resolving them with a multicast query, and connects on the others', async () => {
    const a = weriftPeerConnection(werift, { iceServers: [] }) as unknown as werift.RTCPeerConnection;
    const b = weriftPeerConnection(werift, { iceServers: [] }) as unknown as werift.RTCPeerConnection;
    const hidden = (n: number) => `candidate:9${n} 1 udp 2122260223 6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4${n}.local 5000${n} typ host generation 0`;
    try {
      const channel = a.createDataChannel('data');
      await a.setLocalDescription(await a.createOffer());
      // As a browser hiding its host address sends it: an mDNS name in the offer and trickled.
      const offer = a.localDescription!.sdp.replace(/(a=candidate:[^\r]*\r\n)/, `$1a=${hidden(1)}\r\n`);
      expect(offer).toContain('.local');
      await b.setRemoteDescription({ type: 'offer', sdp: offer });
      await b.addIceCandidate({ candidate: hidden(2), sdpMid: '0', sdpMLineIndex: 0 });
      expect(b.remoteDescription!.sdp).not.toContain('.local');
      await b.setLocalDescription(await b.createAnswer());
      await a.setRemoteDescription(b.localDescription!);
      // keepOffline fails the test if anything was sent off the machine (an mDNS query goes to 224.0.0.251).
      await until('data channel open on the host candidates that are left', 20_000, () => channel.readyState === 'open');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

/** An offer and its answer, candidates inside the descriptions (gathered by `setLocalDescription`) unless `candidates` is false. */
async function negotiate(offerer: werift.RTCPeerConnection, answerer: werift.RTCPeerConnection, iceRestart: boolean, candidates = true): Promise<void> {
  const sent = (d: werift.RTCSessionDescription) => ({ type: d.type, sdp: candidates ? d.sdp : d.sdp.replace(/a=(candidate:.*|end-of-candidates)\r\n/g, '') });
  await offerer.setLocalDescription(await offerer.createOffer({ iceRestart }));
  await answerer.setRemoteDescription(sent(offerer.localDescription!));
  await answerer.setLocalDescription(await answerer.createAnswer());
  await offerer.setRemoteDescription(sent(answerer.localDescription!));
}
