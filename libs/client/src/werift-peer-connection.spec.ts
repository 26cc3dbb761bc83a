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
});
