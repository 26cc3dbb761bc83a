import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { Identity } from '../../../../libs/auth/src';
import { CloseCode, type Codec, CommandError, ErrorCode, type JoinStyle, type Reply } from '../../../../libs/protocol/src';
import { ConnectionQueue } from './connection-queue';
import { textFrame } from './frame';
import { TokenBucket } from './token-bucket';
import type { WriteBatcher } from './write-batcher';

/** What every connection of a replica shares: limits from the config, the batcher, hooks. */
export interface ConnectionContext {
  batcher: WriteBatcher;
  maxPendingBytes: number;
  messageRate: number;
  messageBurst: number;
  rateLimitStrikes: number;
  /** An error frame was sent (metrics). */
  onErrorFrame(code: ErrorCode): void;
  /** A command failed unexpectedly: log it with context. */
  onInternalError(err: unknown, conn: Connection): void;
}

type ReplyOrNothing = Reply | undefined | void;

export type DisconnectReason = 'client' | 'timeout' | 'slow_consumer' | 'rate_limit' | 'too_big' | 'drain' | 'error';

const OPEN = 1;

/**
 * One client connection: its identity, dialect, rooms, limits and outbound path.
 * Frames are pre-encoded by the caller and written straight to the socket, corked for the
 * rest of the event-loop turn (see WriteBatcher). The socket is the one `ws` upgraded, so
 * ordering with `ws`'s own control frames (ping, close) is kept.
 */
export class Connection {
  /** Rooms this connection is in, with the codec that renders room events for it. */
  readonly rooms = new Map<string, Codec>();
  /** Last time anything (a frame, a pong) arrived: the heartbeat reads it. */
  lastSeen: number;
  /** Set when unsent data first stayed behind after a flush; cleared once it drains. */
  backlogSince = 0;
  /** Why the server ended the connection, for metrics; undefined if the client did. */
  closeReason: DisconnectReason | undefined;
  readonly connectedAt: number;
  private corked = false;
  private readonly bucket: TokenBucket;
  private strikes = 0;
  private readonly queue: ConnectionQueue<ReplyOrNothing>;

  constructor(
    /** Unique in the cluster: `${nodeId}:${sequence}`. */
    readonly id: string,
    readonly identity: Identity,
    /** The dialect of the endpoint the client connected to. */
    readonly codec: Codec,
    readonly ws: WebSocket,
    private readonly socket: Duplex,
    private readonly ctx: ConnectionContext,
    /** Room to join on connect (`/ws/{room}`, `?channel_id=`), if any. */
    readonly initialRoom?: { room: string; style: JoinStyle },
  ) {
    this.connectedAt = this.lastSeen = Date.now();
    this.bucket = new TokenBucket(ctx.messageRate, ctx.messageBurst, this.connectedAt);
    this.queue = new ConnectionQueue<ReplyOrNothing>(
      (reply) => reply && this.reply(reply),
      (err) => this.fail(err),
    );
  }

  /** Runs a command after the ones before it; its reply (or error) goes back to the client. */
  run(task: () => ReplyOrNothing | Promise<ReplyOrNothing>): void {
    this.queue.run(task);
  }

  reply(reply: Reply): void {
    if (reply.kind === 'error') this.ctx.onErrorFrame(reply.code);
    const text = this.codec.renderReply(reply);
    if (text !== undefined) this.send(text);
  }

  error(code: ErrorCode, message: string): void {
    this.reply({ kind: 'error', code, message });
  }

  private fail(err: unknown): void {
    if (err instanceof CommandError) return this.error(err.code, err.message);
    this.ctx.onInternalError(err, this);
    this.error(ErrorCode.Internal, 'internal error; the request was not completed');
  }

  get open(): boolean {
    return this.ws.readyState === OPEN;
  }

  /** Unsent bytes held for this connection in the process. */
  get pendingBytes(): number {
    return this.socket.writableLength;
  }

  /** Writes a pre-encoded frame; false if the connection is no longer open. */
  write(frame: Buffer): boolean {
    if (this.ws.readyState !== OPEN) return false;
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      this.ctx.batcher.add(this);
    }
    this.socket.write(frame);
    return true;
  }

  /** Encodes and writes one text frame to this connection only. */
  send(text: string): boolean {
    return this.write(textFrame(text));
  }

  /**
   * Called by the batcher at the end of the turn. What the kernel did not take stays in
   * the process: past the bound the client is not reading fast enough and is shed.
   */
  flush(): void {
    this.corked = false;
    this.socket.uncork();
    const pending = this.socket.writableLength;
    if (pending === 0) this.backlogSince = 0;
    else if (pending > this.ctx.maxPendingBytes) this.shed();
    else if (this.backlogSince === 0) this.backlogSince = Date.now();
  }

  /** Counts a client frame against the rate limit: 'ok', 'drop' (send an error) or 'close'. */
  admitFrame(now: number): 'ok' | 'drop' | 'close' {
    this.lastSeen = now;
    if (this.bucket.take(now)) {
      this.strikes = 0;
      return 'ok';
    }
    this.strikes += 1;
    if (this.strikes < this.ctx.rateLimitStrikes) return 'drop';
    this.closeReason = 'rate_limit';
    return 'close';
  }

  /** True for the first dropped frame of a run, so the client gets one error, not one per frame. */
  get firstStrike(): boolean {
    return this.strikes === 1;
  }

  /** Closes because the client does not read fast enough; stops writing to it at once. */
  shed(): void {
    this.close(CloseCode.TryAgainLater, 'slow consumer', 'slow_consumer');
  }

  close(code: number, reason: string, why: DisconnectReason): void {
    if (this.ws.readyState !== OPEN) return;
    this.closeReason ??= why;
    this.ws.close(code, reason);
  }

  terminate(why: DisconnectReason): void {
    this.closeReason ??= why;
    this.ws.terminate();
  }
}
