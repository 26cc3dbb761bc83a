import type { IncomingMessage, ServerResponse } from 'node:http';
import { Logger } from '@nestjs/common';
import { findToken } from '@switchboard/auth';
import type { Metrics } from '@switchboard/observability';
import { CloseCode, Sse } from '@switchboard/protocol';
import getRawBody from 'raw-body';
import { Connection, type ConnectionContext } from '../connection';
import type { Dialect } from '../dialect';
import type { FlowControl } from '../flow-control';
import type { FrameIntake } from '../frame-intake';
import type { HandshakeService, Refusal } from '../handshake.service';
import { OutboundFrame } from '../outbound-frame';
import { refusalAnswer } from '../refusal';
import { matchRoute } from '../routes';
import { type MarkedRoom, parseEventId, RoomMarks } from './room-marks';
import { SESSION_ID, proofOf, SseSessions } from './sse-sessions';
import { KeepAlive } from './keep-alive';
import { SseWire } from './sse.wire';
import { framesOf, sessionIdOf } from './uplink-body';
import type { UplinkAnswer, UplinkRelay } from './uplink-relay';

/**
 * A browser's cross-site subresource request (`<img>`, `<script>`) sends no `Origin`, so the
 * handshake's cookie rule (a `token` cookie counts only from an allowed origin; no `Origin`:
 * not a browser) would let another site open a stream as the cookie's user, unread but joined.
 * A WebSocket always has an `Origin`; for a stream, `Sec-Fetch-Site` says where it came from.
 */
function crossSiteCookie(req: IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  if (req.headers.origin !== undefined || site === undefined || site === 'same-origin' || site === 'none') return false;
  return findToken(req.headers, new URL(req.url ?? '/', 'http://localhost').searchParams)?.source === 'cookie';
}

/** How long an EventSource waits before it reconnects (the stream's `retry:`). */
export const RECONNECT_MS = 1000;
/** The smallest uplink body limit, whatever the endpoints' frame limits. */
const MIN_BODY_BYTES = 64 * 1024;

/**
 * The head of a stream, written to the socket as it is: the body is every event until the
 * connection ends (no chunked framing, so events are written as WebSocket frames are). Neither a
 * cache nor a proxy may keep or rewrite (compress) it, and nginx must not buffer it.
 */
const STREAM_HEAD =
  'HTTP/1.1 200 OK\r\n' +
  'Content-Type: text/event-stream; charset=utf-8\r\n' +
  'Cache-Control: no-cache, no-transform\r\n' +
  'X-Accel-Buffering: no\r\n' +
  'Connection: close\r\n\r\n';

/** What the endpoint needs from the rest of the gateway. */
export interface SseEndpointDeps {
  handshake: HandshakeService;
  /** The WebSocket adapter: the frame intake, the dialects' gateways. */
  connections: { readonly frames: FrameIntake; adopt(conn: Connection, path: string): boolean };
  relay: UplinkRelay;
  dialects: readonly Dialect[];
  metrics: Metrics;
  context: ConnectionContext;
  flow: FlowControl;
  /** The largest client frame on a gateway path (its dialect's limit). */
  maxMessageSize(path: string): number;
  nextConnectionId(): string | undefined;
}

/**
 * The SSE transport's HTTP side, for clients whose network refuses WebSocket upgrades
 * (docs/protocol/sse.md):
 *
 * - `GET /sse<dialect path>` (or a dialect path with `Accept: text/event-stream`) is
 *   authenticated and admitted by the same handshake as an upgrade (its refusals are the same
 *   HTTP answers, before any byte of the stream) and opens a stream: first a `session` event
 *   `{session_id, session_token}`, then every frame of the dialect as an event whose data is
 *   the frame's JSON. Its connection is handed to the dialect's gateway like a WebSocket's.
 * - `POST /sse/session/<id>` with `X-Session-Token` carries client frames up (one frame or an
 *   array); any replica takes it: one that does not hold the session forwards it over the bus
 *   (UplinkRelay). 202 once the session's replica has queued the frames; their replies and
 *   errors arrive on the stream.
 */
export class SseEndpoint {
  private readonly sessions: SseSessions;
  private readonly keepAlive = new KeepAlive();
  private readonly maxBodyBytes: number;
  private readonly logger = new Logger('Sse');
  /** Uplinks waiting for flow control to resume. */
  private paused: Array<() => void> = [];

  constructor(private readonly deps: SseEndpointDeps) {
    this.sessions = new SseSessions(deps.connections.frames);
    deps.relay.serve((id, proof, frames) => this.sessions.take(id, proof, frames));
    deps.flow.onResume(() => {
      for (const go of this.paused.splice(0)) go();
    });
    this.maxBodyBytes = Math.max(MIN_BODY_BYTES, 4 * Math.max(...deps.dialects.map((d) => deps.maxMessageSize(d.path))));
  }

  /** Stops the keep-alive timer (the app is closing). */
  close(): void {
    this.keepAlive.close();
  }

  /** Express middleware: takes the SSE requests, passes everything else on. */
  readonly handle = (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const url = req.url ?? '/';
    if (req.method === 'POST' && url.startsWith(Sse.sessionPath)) return void this.uplink(req, res, sessionIdOf(url, Sse.sessionPath));
    if (req.method !== 'GET') return next();
    if (url.startsWith(`${Sse.prefix}/`)) {
      req.url = url.slice(Sse.prefix.length);
      return void this.stream(req, res);
    }
    if (req.headers.accept?.includes('text/event-stream') && this.claims(url)) return void this.stream(req, res);
    next();
  };

  private claims(url: string): boolean {
    const { pathname, searchParams } = new URL(url, 'http://localhost');
    return matchRoute(this.deps.dialects, pathname, searchParams) !== undefined;
  }

  // ---- downlink -------------------------------------------------------------------------

  private async stream(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { deps } = this;
    if (crossSiteCookie(req)) return this.refuse(res, { ok: false, status: 403, reason: 'a token cookie counts only from an allowed origin; send the token as ?token= or Authorization: Bearer' });
    const admitted = deps.handshake.admit(req);
    const verdict = admitted instanceof Promise ? await admitted : admitted;
    if (!verdict.ok) return this.refuse(res, verdict);
    // Its places under the connection caps are held until the connection closes (given back at once if none opens).
    const { dialect, room, style, since } = verdict.route;
    const resumed = this.resumedRooms(req, dialect);
    if (!Array.isArray(resumed)) return this.refuse(res, resumed, verdict.release);
    const id = deps.nextConnectionId();
    if (id === undefined) return this.refuse(res, { ok: false, status: 503, reason: 'no client ids available on this replica yet; retry shortly' }, verdict.release);
    const { socket } = req;
    if (socket.destroyed) return verdict.release();

    // The path's room first, then the other rooms of the Last-Event-ID, each from where its client stands.
    const pathRoom = resumed.find((r) => r.room === room);
    const initial = room === undefined || style === undefined ? undefined : { room, style: pathRoom?.style ?? style, since: pathRoom ? pathRoom.position : since };
    const others = resumed.filter((r) => r.room !== room).map((r) => ({ room: r.room, style: r.style, since: r.position }));
    const marks = new RoomMarks(resumed);
    const wire = new SseWire(socket, marks);
    const conn = new Connection(id, verdict.identity, dialect.codec, dialect.styles, wire, deps.context, { initialRoom: initial, resumeRooms: others, resumeToken: verdict.route.resume, limits: verdict.route.limits });
    conn.onClose(verdict.release);
    const styleNames = new Map(Object.entries(dialect.styles).map(([name, codec]) => [codec, name]));
    marks.attach({ styleOf: (r) => styleNames.get(conn.rooms.get(r)!) });

    socket.write(STREAM_HEAD);
    const session = this.sessions.open(conn, deps.maxMessageSize(dialect.path));
    this.keepAlive.add(wire);
    conn.onClose(() => {
      this.keepAlive.delete(wire);
      this.sessions.close(session.id);
      deps.relay.close(session.id);
    });
    try {
      await deps.relay.open(session.id);
    } catch (err) {
      this.logger.warn({ msg: 'stream refused: its session could not be subscribed', transport: 'sse', error: (err as Error).message });
      return conn.close(CloseCode.TryAgainLater, 'message bus unavailable', 'error');
    }
    if (!conn.open) return;
    socket.write(`retry: ${RECONNECT_MS}\nevent: ${Sse.event.session}\ndata: ${JSON.stringify({ session_id: session.id, session_token: session.token })}\n\n`);
    deps.connections.adopt(conn, dialect.path);
    // After the joins the stream resumed (queued by the gateway): forget rooms that were refused.
    conn.run(() => {
      marks.settled();
      if (marks.hasMoved) conn.write(new OutboundFrame(''));
    });
  }

  /** The rooms a reconnecting EventSource's `Last-Event-ID` names (none without one). */
  private resumedRooms(req: IncomingMessage, dialect: Dialect): MarkedRoom[] | Refusal {
    const header = req.headers['last-event-id'];
    if (typeof header !== 'string' || header === '') return [];
    const parsed = parseEventId(header, new Set(Object.keys(dialect.styles)));
    return Array.isArray(parsed) ? parsed : { ok: false, status: 400, reason: parsed.bad };
  }

  /** Answers a refusal; `release` gives back the places of a handshake that was admitted first. */
  private refuse(res: ServerResponse, refusal: Refusal, release?: () => void): void {
    release?.();
    this.deps.metrics.refused.labels(String(refusal.status), 'sse').inc();
    const { status, headers, body } = refusalAnswer(refusal);
    if (!res.headersSent) res.writeHead(status, headers);
    res.end(body);
  }

  // ---- uplink ---------------------------------------------------------------------------

  private async uplink(req: IncomingMessage, res: ServerResponse, sessionId: string): Promise<void> {
    const token = req.headers[Sse.tokenHeader.toLowerCase()];
    if (!SESSION_ID.test(sessionId)) return this.answer(res, { status: 404, reason: 'no such session: open a new stream' });
    if (typeof token !== 'string' || token === '' || token.length > 256) return this.answer(res, { status: 403, reason: `missing session token: send it as ${Sse.tokenHeader}` });
    // Replica-wide flow control: nothing more is read from clients until the queues are down.
    if (this.deps.flow.isPaused) await new Promise<void>((go) => this.paused.push(go));
    let body: string;
    try {
      body = await getRawBody(req, { limit: this.maxBodyBytes, length: req.headers['content-length'], encoding: 'utf8' });
    } catch (err) {
      const type = (err as { type?: string }).type;
      if (type === 'request.aborted') return;
      if (type === 'entity.too.large') return this.answer(res, { status: 413, reason: `the body is larger than ${this.maxBodyBytes} bytes` }, true);
      return this.answer(res, { status: 400, reason: 'the body could not be read' }, true);
    }
    const frames = framesOf(body);
    if (!Array.isArray(frames)) return this.answer(res, { status: frames.status, reason: frames.bad });
    const proof = proofOf(token);
    let answer: UplinkAnswer;
    let outcome: string;
    if (this.sessions.has(sessionId)) {
      answer = this.sessions.take(sessionId, proof, frames);
      outcome = 'local';
    } else {
      answer = await this.deps.relay.forward(sessionId, proof, frames);
      outcome = 'forwarded';
    }
    this.answer(res, answer, false, outcome);
  }

  private answer(res: ServerResponse, answer: { status: number; reason?: string }, close = false, outcome?: string): void {
    this.deps.metrics.uplinks.labels(answer.status === 202 && outcome ? outcome : String(answer.status)).inc();
    if (answer.status !== 202) this.logger.debug({ msg: 'uplink refused', transport: 'sse', status: answer.status, reason: answer.reason });
    if (res.headersSent || res.destroyed) return;
    const body = answer.status === 202 ? '' : JSON.stringify({ error: answer.reason, status: answer.status });
    const headers: Record<string, string> = { 'Content-Length': String(Buffer.byteLength(body)) };
    if (body !== '') headers['Content-Type'] = 'application/json';
    if (close) headers.Connection = 'close';
    res.writeHead(answer.status, headers).end(body);
  }
}
