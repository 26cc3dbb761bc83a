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

  constructor(
    readonly ws: WebSocket,
    readonly outlet: Outlet & Duplex,
  ) {
    ws.once('close', (code: number) => (this.closeCode = code));
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

  close(code: number, reason: string): void {
    this.ws.close(code, reason);
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
