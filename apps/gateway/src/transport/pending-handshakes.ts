import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';

export interface PendingHandshakesOptions {
  /** WEBSOCKET_HANDSHAKE_TIMEOUT: a connection without a complete request head by then is cut off. */
  timeoutMs: number;
  /** Unfinished handshakes one client address may hold at once (WEBSOCKET_CONNECT_BURST); 0: no limit. */
  perAddress: number;
  /** A connection was cut off: 408 timed out, 429 too many unfinished from its address. */
  onCut(status: 408 | 429): void;
}

const STATE = Symbol('pendingHandshake');
type Tracked = Socket & { [STATE]?: { timer: NodeJS.Timeout; ip: string } };

/**
 * Guards the HTTP server against connections that open and then send their request head
 * slowly or never (slowloris): each is cut off after the handshake timeout, and each counts
 * against its address until its head is complete, so one address cannot hold thousands.
 * Behind a trusted proxy every peer is the proxy: pass `perAddress: 0` and only the timeout applies.
 */
export class PendingHandshakes {
  private readonly perIp = new Map<string, number>();

  constructor(
    server: Server,
    private readonly options: PendingHandshakesOptions,
  ) {
    server.on('connection', (socket: Socket) => this.opened(socket as Tracked));
    const done = (req: IncomingMessage) => this.finished(req.socket as Tracked);
    server.on('request', done);
    server.on('upgrade', done);
    // Later requests on a kept-alive connection: Node's own header timeout.
    server.headersTimeout = Math.min(server.headersTimeout, options.timeoutMs);
  }

  private opened(socket: Tracked): void {
    const ip = socket.remoteAddress ?? 'unknown';
    const held = this.perIp.get(ip) ?? 0;
    if (this.options.perAddress > 0 && held >= this.options.perAddress) {
      this.options.onCut(429);
      socket.end('HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Length: 0\r\nRetry-After: 1\r\n\r\n');
      socket.destroySoon();
      return;
    }
    this.perIp.set(ip, held + 1);
    const timer = setTimeout(() => {
      this.options.onCut(408);
      socket.destroy();
    }, this.options.timeoutMs);
    socket[STATE] = { timer, ip };
    socket.once('close', () => this.finished(socket));
  }

  private finished(socket: Tracked): void {
    const state = socket[STATE];
    if (!state) return;
    socket[STATE] = undefined;
    clearTimeout(state.timer);
    const left = (this.perIp.get(state.ip) ?? 1) - 1;
    if (left > 0) this.perIp.set(state.ip, left);
    else this.perIp.delete(state.ip);
  }
}
