import * as werift from 'werift';
import { weriftPeerConnection } from './werift-peer-connection';

describe('weriftPeerConnection', () => {
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

  it('makes the offerer of an ICE restart the controlling agent, the answerer controlled (werift would keep the first roles)', async () => {
    const a = weriftPeerConnection(werift, { iceServers: [] }) as unknown as werift.RTCPeerConnection;
    const b = weriftPeerConnection(werift, { iceServers: [] }) as unknown as werift.RTCPeerConnection;
    const controlling = (pc: werift.RTCPeerConnection) => pc.iceTransports.map((t) => t.connection.iceControlling);
    const negotiate = async (offerer: werift.RTCPeerConnection, answerer: werift.RTCPeerConnection, iceRestart: boolean) => {
      await offerer.setLocalDescription(await offerer.createOffer({ iceRestart }));
      await answerer.setRemoteDescription(offerer.localDescription!);
      await answerer.setLocalDescription(await answerer.createAnswer());
      await offerer.setRemoteDescription(answerer.localDescription!);
    };
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
});
