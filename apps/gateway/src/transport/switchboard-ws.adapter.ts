import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { INestApplicationContext } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import type { MessageMappingProperties } from '@nestjs/websockets';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Observable } from 'rxjs';
import { COMMAND_INDEX } from '@switchboard/protocol';
import type { Metrics } from '@switchboard/observability';
import { Connection, type ConnectionContext } from './connection';
import { FrameIntake, type SessionFrames } from './frame-intake';
import type { HandshakeService, Refusal, Verdict } from './handshake.service';
import { refusalAnswer } from './refusal';
import { WebSocketWire } from './websocket.wire';

/** What the adapter needs from the rest of the gateway. */
export interface AdapterDeps {
  handshake: HandshakeService;
  metrics: Metrics;
  context: ConnectionContext;
  /** The largest client frame on a gateway path (its dialect's limit). */
  maxMessageSize(path: string): number;
  /** Cluster-unique connection ids; undefined while none can be issued (answered 503). */
  nextConnectionId(): string | undefined;
  /** A connection opened (the heartbeat's newcomer queue, token expiry). */
  opened(conn: Connection): void;
  /** A connection closed, whichever side closed it. */
  ended?(conn: Connection): void;
  /** Answers `refresh` and `limits` frames (without: they are refused as unsupported). */
  session?: SessionFrames;
}

/** The Connection of a `ws` socket, so event listeners can be shared instead of per-socket closures. */
const CONN = Symbol('connection');
type Socket = WebSocket & { [CONN]: Connection };
/** The `ws` socket of a WebSocket connection (SSE connections have none). */
const SOCKET = Symbol('socket');
type WithSocket = Connection & { [SOCKET]?: Socket };

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
 * Gateways receive a `Connection` as their client, never a raw socket. Connections of other
 * transports (SSE) are handed to the same gateways through `adopt`, so a dialect serves
 * them all alike.
 */
export class SwitchboardWsAdapter extends WsAdapter {
  private readonly servers = new Map<string, WebSocketServer>();
  private readonly intake: FrameIntake;
  private upgradeBound = false;
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
    this.intake = new FrameIntake(deps.metrics, deps.session);
    // One set of listeners for every socket; each finds its Connection on the socket.
    const adapter = this;
    const { intake } = this;
    this.listeners = {
      message(data, isBinary) {
        intake.take(this[CONN], data, isBinary, data.length);
      },
      pong() {
        this[CONN].lastSeen = Date.now();
      },
      error(err) {
        this[CONN].closeReason ??= err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 'too_big' : 'error';
      },
      close() {
        adapter.closed(this[CONN]);
      },
    };
  }

  /** Client frames of every transport go through here: rate limit, decoding, the gateway's handler. */
  get frames(): FrameIntake {
    return this.intake;
  }

  /**
   * Hands an open connection of another transport (SSE) to the gateway of its dialect, as an
   * upgrade does: counted, registered with the heartbeat, `handleConnection`, and
   * `handleDisconnect` once it closes. False when no gateway serves `path`.
   */
  adopt(conn: Connection, path: string): boolean {
    const server = this.servers.get(path);
    if (!server) return false;
    this.counted(conn);
    conn.onClose(() => this.closed(conn));
    this.deps.opened(conn);
    server.emit('connection', conn);
    return true;
  }

  private counted(conn: Connection): void {
    this.deps.metrics.connects.labels(conn.codec.name, conn.transport).inc();
    this.deps.metrics.connections.labels(conn.codec.name, conn.transport).inc();
    if (this.deps.context.flow.isPaused) conn.pauseReading();
  }

  private closed(conn: Connection): void {
    const { metrics } = this.deps;
    metrics.connections.labels(conn.codec.name, conn.transport).dec();
    metrics.disconnects.labels(conn.closeReason ?? 'client', conn.transport).inc();
    metrics.connectionDuration.observe((Date.now() - conn.connectedAt) / 1000);
    this.deps.ended?.(conn);
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
    conn.onClose(callback);
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
    (conn as WithSocket)[SOCKET]?.on('message', this.listeners.message as never);
  }

  override async close(server: WebSocketServer): Promise<void> {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private bindUpgrade(): void {
    if (this.upgradeBound) return;
    this.upgradeBound = true;
    this.httpServer.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', destroyOnError);
    const verdict = this.deps.handshake.admit(req);
    // An API key, a guest's chosen id or the per-user cap needs a store; everything else is decided at once.
    if (verdict instanceof Promise) void verdict.then((v) => this.upgrade(req, socket, head, v));
    else this.upgrade(req, socket, head, verdict);
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, verdict: Verdict): void {
    if (verdict.ok) {
      // Its places under the caps are held until the socket closes, whatever happens from here.
      if (socket.destroyed) return verdict.release();
      socket.once('close', verdict.release);
    }
    if (socket.destroyed) return;
    if (!verdict.ok) return this.refuse(socket, verdict);
    const { dialect, room, style, since, resume, limits } = verdict.route;
    const server = this.servers.get(dialect.path);
    if (!server) return this.refuse(socket, { ok: false, status: 404, reason: 'no WebSocket endpoint at this path' });
    const id = this.deps.nextConnectionId();
    if (id === undefined) return this.refuse(socket, { ok: false, status: 503, reason: 'no client ids available on this replica yet; retry shortly' });
    // The 101 answer waits in the corked socket until the connection's opening commands (a
    // room's join, a welcome) settled, and leaves in one write with their replies: the client
    // cannot send before it anyway, and a system call per connection is saved. Every way out
    // uncorks: the release, a close (its frame joins them), ws's own 400 (socket.end uncorks).
    socket.cork();
    // ws answers a malformed upgrade itself (400) and then never calls back.
    server.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      socket.removeListener('error', destroyOnError);
      const initial = room === undefined || style === undefined ? undefined : { room, style, since };
      const conn = new Connection(id, verdict.identity, dialect.codec, dialect.styles, new WebSocketWire(ws, socket, true), this.deps.context, { initialRoom: initial, resumeToken: resume, limits });
      this.track(conn, ws as Socket);
      this.deps.opened(conn);
      server.emit('connection', conn);
      conn.releaseWhenSettled();
    });
  }

  private track(conn: Connection, ws: Socket): void {
    ws[CONN] = conn;
    (conn as WithSocket)[SOCKET] = ws;
    this.counted(conn);
    ws.on('pong', this.listeners.pong as never);
    ws.on('error', this.listeners.error as never);
    ws.once('close', this.listeners.close as never);
  }

  private refuse(socket: Duplex, refusal: Refusal): void {
    this.deps.metrics.refused.labels(String(refusal.status), 'websocket').inc();
    const { status, statusText, headers, body } = refusalAnswer(refusal);
    const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
    socket.end(`HTTP/1.1 ${status} ${statusText}\r\n${head}Connection: close\r\n\r\n${body}`);
  }
}
