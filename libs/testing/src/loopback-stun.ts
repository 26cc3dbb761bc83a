import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';

const BINDING_REQUEST = 0x0001;
const BINDING_SUCCESS = 0x0101;
const MAGIC_COOKIE = 0x2112a442;
const XOR_MAPPED_ADDRESS = 0x0020;

/**
 * A STUN server (RFC 5389 Binding only) on 127.0.0.1, for WebRTC tests that must not leave
 * the machine: werift queries a STUN server even with `iceServers: []` (it falls back to a
 * public one), so tests name this one instead. It answers each Binding request with the
 * sender's own address as XOR-MAPPED-ADDRESS, and ignores anything else.
 */
export class LoopbackStun {
  private constructor(
    private readonly socket: Socket,
    readonly port: number,
  ) {}

  static async start(): Promise<LoopbackStun> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => resolve());
    });
    const server = new LoopbackStun(socket, socket.address().port);
    socket.on('message', (msg, from) => server.answer(msg, from));
    return server;
  }

  /** The `iceServers` entry that points at this server. */
  get url(): string {
    return `stun:127.0.0.1:${this.port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private answer(msg: Buffer, from: RemoteInfo): void {
    if (msg.length < 20 || msg.readUInt16BE(0) !== BINDING_REQUEST || msg.readUInt32BE(4) !== MAGIC_COOKIE || from.family !== 'IPv4') return;
    const out = Buffer.alloc(32);
    out.writeUInt16BE(BINDING_SUCCESS, 0);
    out.writeUInt16BE(12, 2); // one attribute: 4-byte header + 8-byte value
    msg.copy(out, 4, 4, 20); // magic cookie and transaction id
    out.writeUInt16BE(XOR_MAPPED_ADDRESS, 20);
    out.writeUInt16BE(8, 22);
    out.writeUInt8(0, 24);
    out.writeUInt8(0x01, 25); // IPv4
    out.writeUInt16BE(from.port ^ (MAGIC_COOKIE >>> 16), 26);
    const ip = from.address.split('.').reduce((n, part) => (n << 8) | Number(part), 0) >>> 0;
    out.writeUInt32BE((ip ^ MAGIC_COOKIE) >>> 0, 28);
    this.socket.send(out, from.port, from.address);
  }
}

/**
 * werift settings that keep a Node peer on this machine: STUN asks `stun` (never werift's
 * public default), host candidates are gathered on 127.0.0.1 (werift skips loopback unless
 * told) with sockets bound there, and only loopback pairs are checked.
 */
export function loopbackRtcConfig(stun: LoopbackStun): { iceServers: Array<{ urls: string }>; rtcConfig: Record<string, unknown> } {
  const loopback = (host: string | undefined) => host?.startsWith('127.') === true;
  return {
    iceServers: [{ urls: stun.url }],
    rtcConfig: {
      iceUseIpv6: false,
      iceAdditionalHostAddresses: ['127.0.0.1'],
      iceInterfaceAddresses: { udp4: '127.0.0.1' },
      iceFilterCandidatePair: (pair: { localCandidate: { host?: string }; remoteCandidate: { host?: string } }) => loopback(pair.localCandidate.host) && loopback(pair.remoteCandidate.host),
    },
  };
}
