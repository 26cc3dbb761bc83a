import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { INestApplicationContext } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import type { MessageMappingProperties } from '@nestjs/websockets';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Observable } from 'rxjs';
import { CloseCode, COMMAND_INDEX, ErrorCode, subjectOf } from '@switchboard/protocol';
import type { Metrics } from '@switchboard/observability';
import { Connection, type ConnectionContext } from './connection';
import type { HandshakeService, Refusal, Verdict } from './handshake.service';

const STATUS_TEXT: Record<Refusal['status'], string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
};

/** What the adapter needs from the rest of the gateway. */
export interface AdapterDeps {
  handshake: HandshakeService;
  metrics: Metrics;
  context: ConnectionContext;
  /** The largest client frame on a gateway path (its dialect's limit). */
  maxMessageSize(path: string): number;
  /** Cluster-unique connection ids; undefined while none can be issued (answered 503). */
  nextConnectionId(): string | undefined;
  /** A connection opened (the heartbeat's newcomer queue). */
  opened(conn: Connection): void;
}

/** The Connection of a `ws` socket, so event listeners can be shared instead of per-socket closures. */
const CONN = Symbol('connection');
type Socket = WebSocket & { [CONN]: Connection };

function destroyOnError(this: Duplex): void {
  this.destroy();
}

/**
 * The transport edge. Owns the HTTP `upgrade` event and decides every handshake before
 * upgrading (400/401/403/404/429/503 are HTTP answers, never a socket that opens then
 * closes), routes parameterised paths (`/ws/{room}`) to the gateway that speaks the dialect,
 * decodes frames with the connection's codec and hands commands to the gateway's
 * `@SubscribeMessage(kind)` handlers, one at a time per connection.
 *
 * Gateways receive a `Connection` as their client, never a raw socket.
 */
export class SwitchboardWsAdapter extends WsAdapter {
  private readonly servers = new Map<string, WebSocketServer>();
  private upgradeBound = false;
  private open = 0;
  private readonly listeners: {
    message: (this: Socket, data: Buffer, isBinary: boolean) => void;
    pong: (this: Socket) => void;
    error: (this: Socket, err: Error & { code?: string }) => void;
    close: (this: Socket, code: number) => void;
  };

  constructor(
    app: INestApplicationContext,
    private readonly deps: AdapterDeps,
  ) {
    super(app);
    // One set of listeners for every socket; each finds its Connection on the socket.
    const adapter = this;
    const { metrics } = deps;
    this.listeners = {
      message(data, isBinary) {
        adapter.onFrame(this[CONN], data, isBinary);
      },
      pong() {
        this[CONN].lastSeen = Date.now();
      },
      error(err) {
        this[CONN].closeReason ??= err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 'too_big' : 'error';
      },
      close(code) {
        const conn = this[CONN];
        conn.closeCode = code;
        adapter.open -= 1;
        metrics.connections.labels(conn.codec.name).dec();
        metrics.disconnects.labels(conn.closeReason ?? 'client').inc();
        metrics.connectionDuration.observe((Date.now() - conn.connectedAt) / 1000);
      },
    };
  }

  override create(_port: number, options: { path?: string } = {}): WebSocketServer {
    const path = options.path ?? '/ws';
    const server = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      clientTracking: false,
      maxPayload: this.deps.maxMessageSize(path),
    });
    this.servers.set(path, server);
    this.bindUpgrade();
    return server;
  }

  override bindClientConnect(server: WebSocketServer, callback: (...args: unknown[]) => void): void {
    server.on('connection', callback);
  }

  override bindClientDisconnect(conn: Connection, callback: () => void): void {
    conn.ws.on('close', callback);
  }

  override bindMessageHandlers(
    conn: Connection,
    handlers: MessageMappingProperties[],
    _transform: (data: unknown) => Observable<unknown>,
  ): void {
    for (const h of handlers) {
      const index = COMMAND_INDEX.get(h.message as string);
      if (index !== undefined) conn.handlers[index] = h.callback as never;
    }
    conn.ws.on('message', this.listeners.message as never);
  }

  override async close(server: WebSocketServer): Promise<void> {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private onFrame(conn: Connection, data: Buffer, isBinary: boolean): void {
    const { metrics } = this.deps;
    metrics.bytesIn.inc(data.length);
    if (conn.closeReason !== undefined) return;
    const admitted = conn.admitFrame(Date.now());
    if (admitted !== 'ok') {
      metrics.framesIn.labels('rate_limited').inc();
      if (admitted === 'close') {
        // After the commands already accepted have been answered.
        conn.run(() => conn.close(CloseCode.PolicyViolation, 'message rate limit exceeded', 'rate_limit'));
      } else if (conn.firstStrike) {
        // Decoded only to name the dropped frame (`re`), once per run of drops.
        const about = isBinary ? undefined : subjectOf(conn.codec.read(data.toString()));
        conn.error(ErrorCode.RateLimited, 'rate limit exceeded: message dropped; slow down or be disconnected', about);
      }
      return;
    }
    if (isBinary) {
      metrics.framesIn.labels('binary').inc();
      return conn.error(ErrorCode.Binary, 'binary frames are not supported; send JSON text frames');
    }
    const decoded = conn.codec.read(data.toString());
    const { command } = decoded;
    if (command.kind === 'invalid') {
      metrics.framesIn.labels('invalid').inc();
      return conn.error(command.code, command.message, { re: decoded.type });
    }
    const about = subjectOf(decoded);
    const handler = conn.handlers[COMMAND_INDEX.get(command.kind)!];
    if (!handler) {
      metrics.framesIn.labels('invalid').inc();
      return conn.error(ErrorCode.UnknownType, `"${command.kind}" is not supported on this endpoint`, about);
    }
    metrics.framesIn.labels(command.kind).inc();
    conn.run(() => handler(command as never, command.kind) as never, about);
  }

  private bindUpgrade(): void {
    if (this.upgradeBound) return;
    this.upgradeBound = true;
    this.httpServer.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', destroyOnError);
    const verdict = this.deps.handshake.admit(req, this.open);
    // An API key needs a directory read; everything else is decided at once.
    if (verdict instanceof Promise) void verdict.then((v) => this.upgrade(req, socket, head, v));
    else this.upgrade(req, socket, head, verdict);
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, verdict: Verdict): void {
    if (socket.destroyed) return;
    if (!verdict.ok) return this.refuse(socket, verdict);
    const { dialect, room, style, since, resume } = verdict.route;
    const server = this.servers.get(dialect.path);
    if (!server) return this.refuse(socket, { ok: false, status: 404, reason: 'no WebSocket endpoint at this path' });
    const id = this.deps.nextConnectionId();
    if (id === undefined) return this.refuse(socket, { ok: false, status: 503, reason: 'no client ids available on this replica yet; retry shortly' });
    // ws answers a malformed upgrade itself (400) and then never calls back.
    server.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      socket.removeListener('error', destroyOnError);
      const initial = room === undefined || style === undefined ? undefined : { room, style, since };
      const conn = new Connection(id, verdict.identity, dialect.codec, dialect.styles, ws, socket, this.deps.context, initial, resume);
      this.track(conn);
      this.deps.opened(conn);
      server.emit('connection', conn);
    });
  }

  private track(conn: Connection): void {
    const ws = conn.ws as Socket;
    ws[CONN] = conn;
    this.open += 1;
    this.deps.metrics.connects.labels(conn.codec.name).inc();
    this.deps.metrics.connections.labels(conn.codec.name).inc();
    ws.on('pong', this.listeners.pong as never);
    ws.on('error', this.listeners.error as never);
    ws.once('close', this.listeners.close as never);
    if (this.deps.context.flow.isPaused) ws.pause();
  }

  private refuse(socket: Duplex, refusal: Refusal): void {
    this.deps.metrics.refused.labels(String(refusal.status)).inc();
    const body = JSON.stringify({ error: refusal.reason, status: refusal.status });
    const extra =
      refusal.status === 401 ? 'WWW-Authenticate: Bearer\r\n' : refusal.status === 429 || refusal.status === 503 ? 'Retry-After: 1\r\n' : '';
    socket.end(
      `HTTP/1.1 ${refusal.status} ${STATUS_TEXT[refusal.status]}\r\n` +
        'Content-Type: application/json\r\n' +
        'X-Content-Type-Options: nosniff\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        extra +
        'Connection: close\r\n\r\n' +
        body,
    );
  }
}
