import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { PING_FRAME } from './frame';
import type { OutboundFrame } from './outbound-frame';
import type { Outlet, TransportName, Wire } from './wire';

const OPEN = 1;

/**
 * A `ws` socket as a connection's wire. Frames are written to the raw TCP socket under it
 * (the same pre-encoded bytes for every recipient); `ws` itself reads, answers the closing
 * handshake and enforces the frame size limit.
 */
export class WebSocketWire implements Wire {
  readonly transport: TransportName = 'websocket';
  closeCode: number | undefined;

  /**
   * `held`: the socket was corked before the upgrade was answered, so the 101 waits in it
   * until `release` and leaves in one write with what the connection wrote as it opened (a
   * room's `user_list`, a welcome): a write system call saved per connection.
   */
  constructor(
    readonly ws: WebSocket,
    readonly outlet: Outlet & Duplex,
    private held = false,
  ) {
    ws.once('close', (code: number) => (this.closeCode = code));
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    this.outlet.uncork();
  }

  get open(): boolean {
    return this.ws.readyState === OPEN;
  }

  bytes(frame: OutboundFrame): Buffer {
    return frame.websocket;
  }

  /**
   * One constant frame written straight to the socket. A control frame may go between data
   * frames, so it does not wait behind queued ones; ws's own `ping()` would frame a fresh
   * buffer per call and write it in two parts.
   */
  ping(): void {
    if (this.ws.readyState === OPEN) this.outlet.write(PING_FRAME);
  }

  /** The close frame joins whatever is held and leaves with it. */
  close(code: number, reason: string): void {
    this.ws.close(code, reason);
    this.release();
  }

  terminate(): void {
    this.ws.terminate();
  }

  pause(): void {
    this.ws.pause();
  }

  resume(): void {
    this.ws.resume();
  }

  onClose(listener: () => void): void {
    this.ws.on('close', listener);
  }
}
