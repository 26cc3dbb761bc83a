import dgram from 'node:dgram';
import dns from 'node:dns';
import { once } from 'node:events';
import net from 'node:net';
import { networkInterfaces } from 'node:os';
import { RTCPeerConnection } from 'werift';
import { nodeRuntime } from '../src/node-runtime';
import type { PeerConnectionLike } from '../src/types';
import { until } from './cluster';
import { guardNetwork, type NetworkGuard } from './offline';

// 203.0.113.0/24 and example.com are reserved for documentation: even a broken guard sends nothing anyone receives.
const OFF_MACHINE = '203.0.113.7';

/** The guard the WebRTC tests run under, shown to refuse what leaves the machine and to let the rest through. */
describe('the network guard', () => {
  let guard: NetworkGuard;
  const sockets: dgram.Socket[] = [];
  const udp = async () => {
    const socket = dgram.createSocket('udp4');
    sockets.push(socket);
    socket.bind(0, '0.0.0.0');
    await once(socket, 'listening');
    return socket;
  };
  beforeEach(() => {
    guard = guardNetwork();
  });
  afterEach(() => {
    guard.uninstall();
    for (const s of sockets.splice(0)) s.close();
  });

  it('refuses a UDP send or connect to an address off this machine, and records it', async () => {
    const socket = await udp();
    expect(() => socket.send('x', 3478, OFF_MACHINE)).toThrow(/network guard: udp send to 203\.0\.113\.7/);
    expect(() => socket.send(Buffer.from('xy'), 0, 2, 3478, OFF_MACHINE)).toThrow(/network guard/);
    expect(() => socket.connect(3478, OFF_MACHINE)).toThrow(/network guard: udp connect to/);
    expect(() => socket.send('x', 19302, 'stun.l.google.com')).toThrow(/network guard: udp send to stun\.l\.google\.com/);
    expect(guard.violations).toEqual([`udp send to ${OFF_MACHINE}`, `udp send to ${OFF_MACHINE}`, `udp connect to ${OFF_MACHINE}`, 'udp send to stun.l.google.com']);
  });

  it('refuses a TCP connect and a name lookup off this machine', async () => {
    expect(() => net.connect(80, OFF_MACHINE)).toThrow(/network guard: tcp connect to 203\.0\.113\.7/);
    expect(() => net.connect({ host: 'example.com', port: 443 })).toThrow(/network guard: tcp connect to example\.com/);
    expect(() => dns.lookup('example.com', () => undefined)).toThrow(/network guard: dns lookup of example\.com/);
    expect(() => dns.promises.lookup('example.com')).toThrow(/network guard/);
    expect(() => dns.resolve4('example.com', () => undefined)).toThrow(/network guard/);
    expect(guard.violations).toHaveLength(5);
  });

  it('lets datagrams to loopback and to this machine\'s own addresses through', async () => {
    const receiver = await udp();
    const sender = await udp();
    const port = receiver.address().port;
    const own = Object.values(networkInterfaces())
      .flat()
      .filter((i) => i?.family === 'IPv4')
      .map((i) => i!.address);
    const got: string[] = [];
    receiver.on('message', (msg) => got.push(msg.toString()));
    for (const address of own) sender.send(address, port, address);
    sender.send('localhost', port, 'localhost');
    await until('every datagram', 10_000, () => got.length === own.length + 1);
    expect(got.sort()).toEqual([...own, 'localhost'].sort());
    expect(guard.violations).toEqual([]);
  });

  it('catches werift\'s public STUN fallback on a bare RTCPeerConnection, and sees no query from the library\'s', async () => {
    const gather = async (pc: PeerConnectionLike) => {
      pc.createDataChannel('data');
      await pc.setLocalDescription(await pc.createOffer());
      const sdp = (pc as unknown as RTCPeerConnection).localDescription!.sdp;
      pc.close();
      return sdp.split('\r\n').filter((l) => l.startsWith('a=candidate:'));
    };
    // werift's own class as the library would configure it but for the fallback (loopback: a
    // host address even in a network namespace that has nothing else).
    await gather(new RTCPeerConnection({ iceServers: [], iceAdditionalHostAddresses: ['127.0.0.1'] }) as unknown as PeerConnectionLike);
    expect(guard.violations).toContain('udp send to stun.l.google.com');

    guard.violations.splice(0);
    const candidates = await gather(nodeRuntime.createPeerConnection({ iceServers: [] }));
    expect(guard.violations).toEqual([]);
    expect(candidates.length).toBeGreaterThan(0);
    expect(candidates.filter((c) => !/ typ host/.test(c))).toEqual([]);
  }, 30000);
});
