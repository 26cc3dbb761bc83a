import { CloseCode, COMMAND_INDEX, ErrorCode, type Limits, subjectOf } from '@switchboard/protocol';
import type { Metrics } from '@switchboard/observability';
import type { Connection } from './connection';

/**
 * What happens to every client frame, whichever transport brought it (a WebSocket message,
 * or a frame in an SSE session's POST): counted, admitted by the connection's rate limit,
 * decoded with its dialect's codec and handed to the gateway's handler for its command, in
 * order. A bad frame gets an `error` frame and the connection stays open; a client that keeps
 * exceeding the rate limit is closed with 1008 once the commands already accepted are done.
 */
/** The frames about the connection itself, which the transport answers for every dialect. */
export interface SessionFrames {
  /** `refresh {token}`: a fresh JWT for the connection (TokenExpiryService). */
  refresh(conn: Connection, token: string): void;
  /** `limits`: what the connection's endpoint enforces. */
  limits(conn: Connection): Limits;
}

export class FrameIntake {
  constructor(
    private readonly metrics: Metrics,
    private readonly session?: SessionFrames,
  ) {}

  /** A text frame (or binary data, refused) from the client of `conn`; `bytes` is its size on the wire. */
  take(conn: Connection, data: Buffer | string, isBinary: boolean, bytes: number): void {
    const { metrics } = this;
    metrics.bytesIn.inc(bytes);
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
    if (command.kind === 'refresh' || command.kind === 'limits') {
      metrics.framesIn.labels(command.kind).inc();
      if (!this.session) return conn.error(ErrorCode.UnknownType, `"${command.kind}" is not supported on this endpoint`, { re: decoded.type });
      // At once, not behind a join still in progress: a refresh may be racing its token's expiry.
      if (command.kind === 'refresh') return this.session.refresh(conn, command.token);
      return conn.reply({ kind: 'limits', limits: this.session.limits(conn) });
    }
    const about = subjectOf(decoded);
    const handler = conn.handlers[COMMAND_INDEX.get(command.kind)!];
    if (!handler) {
      metrics.framesIn.labels('invalid').inc();
      return conn.error(ErrorCode.UnknownType, `"${command.kind}" is not supported on this endpoint`, about);
    }
    metrics.framesIn.labels(command.kind).inc();
    conn.noteCommand(command);
    conn.run(() => handler(command as never, command.kind) as never, about);
  }
}
