import type { Identity } from '@switchboard/auth';
import { CloseCode, type Codec, type Command, CommandError, ErrorCode, type ErrorSubject, type JoinStyle, type Reply, type ResumeFrom } from '@switchboard/protocol';
import type { FlowControl } from './flow-control';
import { type BudgetLimits, FrameBudget, type Verdict } from './frame-budget';
import { OutboundFrame } from './outbound-frame';
import type { TransportName, Wire } from './wire';
import type { WriteBatcher } from './write-batcher';

/** What every connection of a replica shares: limits from the config, the batcher, hooks. */
export interface ConnectionContext extends BudgetLimits {
  batcher: WriteBatcher;
  flow: FlowControl;
  maxPendingBytes: number;
  /** An error frame was sent (metrics). */
  onErrorFrame(code: ErrorCode): void;
  /** A command failed unexpectedly: log it with context. */
  onInternalError(err: unknown, conn: Connection): void;
}

type ReplyOrNothing = Reply | undefined | void;
type Task = () => ReplyOrNothing | Promise<ReplyOrNothing>;
/** A queued task and the client frame it answers, if any. */
interface Queued {
  task: Task;
  about: ErrorSubject | undefined;
}

/** A room a connection joins as it opens, from `since` when it resumes. */
export interface RoomOnConnect {
  room: string;
  style: JoinStyle;
  since?: ResumeFrom;
}

/** What a connection does as it opens, as its request asked. */
export interface Opening {
  /** Room to join on connect (`/ws/{room}`, `?channel_id=`). */
  initialRoom?: RoomOnConnect;
  /** More rooms to join after it: those an SSE stream resumes (its Last-Event-ID). */
  resumeRooms?: readonly RoomOnConnect[];
  /** A resume token the client presented on connect (signaling `?resume=`). */
  resumeToken?: string;
  /** `?limits=1`: the `limits` frame goes first. */
  limits?: boolean;
}

export type DisconnectReason = 'client' | 'timeout' | 'slow_consumer' | 'rate_limit' | 'too_big' | 'drain' | 'error' | 'revoked' | 'expired' | 'replaced';

/** Queued frames are handed to the socket in chunks of about this many bytes. */
const CHUNK_BYTES = 4 * 1024;

/**
 * One client connection: its identity, dialect, rooms, limits and outbound path, over a
 * WebSocket or an SSE stream (its `wire`); nothing outside the transport can tell which.
 *
 * Outbound, frames are pre-encoded once per event per transport and only referenced here:
 * a connection queues references during the event-loop turn, and at its end (WriteBatcher)
 * copies them into one chunk per socket write, as much as the kernel takes; the rest waits
 * for `drain` as references, so a backlog costs 8 bytes per frame, not a buffer each.
 * Past `maxPendingBytes` of unsent data the client is shed (1013).
 *
 * Inbound commands run strictly one after another (a join waits for its subscription to
 * be live before the next frame of the same client is handled).
 *
 * Idle connections are kept small: no per-connection timers, and the frame array, the
 * command backlog and the drain callback exist only while in use.
 */
export class Connection {
  /** Rooms this connection is in, with the codec that renders room events for it. */
  readonly rooms = new Map<string, Codec>();
  /** Last time anything (a frame, a pong) arrived: the heartbeat reads it. */
  lastSeen: number;
  /** Set once the heartbeat has pinged it: only then can it be judged silent. */
  pinged = false;
  /** Set when unsent data first stayed behind after a flush; cleared once it drains. */
  backlogSince = 0;
  /** Why the server ended the connection, for metrics; undefined if the client did. */
  closeReason: DisconnectReason | undefined;
  readonly connectedAt: number;
  /** Room to join on connect (`/ws/{room}`, `?channel_id=`), if any. */
  readonly initialRoom: RoomOnConnect | undefined;
  /** More rooms to join after it: those an SSE stream resumes. */
  readonly resumeRooms: readonly RoomOnConnect[];
  /** A resume token the client presented on connect (signaling `?resume=`), if any. */
  readonly resumeToken: string | undefined;
  /** The client asked for the `limits` frame on connect (`?limits=1`). */
  readonly wantsLimits: boolean;
  /** What the client may make the server do: the message rate (by cost), strikes, reply bytes. */
  readonly budget: FrameBudget;
  /** The gateway's command handlers for this client, by CommandKinds index (set by the adapter). */
  handlers: Array<((command: never, kind: string) => unknown) | undefined> = [];

  /** Queued bytes: shared frames, and ASCII text of this connection's own (an SSE event id line), one byte per character. */
  private frames: Array<Buffer | string> | undefined;
  private head = 0;
  private queuedBytes = 0;
  /** Whether a flush is due: 'now' at the end of the turn, 'later' within the notice delay. */
  private scheduled: false | 'now' | 'later' = false;
  private waitingDrain = false;
  /**
   * `releaseWhenSettled`'s state: 'running' while the commands queued as the connection opened
   * are still running, 'due' once the next flush must let go of what the wire held back.
   */
  private opening: false | 'running' | 'due' = false;
  private onDrain: (() => void) | undefined;

  /** Bytes queued for this connection since it opened (replays are measured by it). */
  private written = 0;

  private backlog: Queued[] | undefined;
  private busy = false;
  /** The client frame the running task answers (its errors name it), if any. */
  private current: ErrorSubject | undefined;

  constructor(
    /**
     * Unique in the cluster and across restarts: a positive integer below 2^53, in decimal. A
     * dialect may give the connection another id before it joins anything or subscribes for
     * it (signaling: an unguessable peer id, or the id of the peer it resumes).
     */
    public id: string,
    /** Who the client is; a `refresh` replaces it with what the fresh token of the same subject says. */
    public identity: Identity,
    /** The dialect of the endpoint the client connected to. */
    readonly codec: Codec,
    /** The codec that renders room events to this client, by join style (the dialect's `styles`). */
    private readonly styles: Readonly<Record<JoinStyle, Codec>>,
    /** How the client is reached: a WebSocket or an SSE stream. */
    private readonly wire: Wire,
    private readonly ctx: ConnectionContext,
    opening: Opening = {},
  ) {
    this.connectedAt = this.lastSeen = Date.now();
    this.budget = new FrameBudget(ctx, this.connectedAt);
    this.initialRoom = opening.initialRoom;
    this.resumeRooms = opening.resumeRooms ?? [];
    this.resumeToken = opening.resumeToken;
    this.wantsLimits = opening.limits ?? false;
  }

  /** The codec for room events of a room joined in `style`; the endpoint's own codec for a style its dialect does not name. */
  roomCodec(style: JoinStyle): Codec {
    return this.styles[style] ?? this.codec;
  }

  get open(): boolean {
    return this.wire.open;
  }

  /** The transport under this connection, for metrics and logs. */
  get transport(): TransportName {
    return this.wire.transport;
  }

  /** Once closed, the code it closed with (1000: the client said goodbye; 1006: lost without a word). */
  get closeCode(): number | undefined {
    return this.wire.closeCode;
  }

  /** Runs once the connection has closed, whichever side closed it. */
  onClose(listener: () => void): void {
    this.wire.onClose(listener);
  }

  /** Stops reading the client's frames (replica-wide flow control) until `resumeReading`. */
  pauseReading(): void {
    this.wire.pause();
  }

  resumeReading(): void {
    this.wire.resume();
  }

  // ---- commands ---------------------------------------------------------------------

  /**
   * Runs a command after the ones before it; its reply (or error) goes back to the client.
   * `about` is the client frame it answers: an error it ends in names that frame (`re`).
   */
  run(task: Task, about?: ErrorSubject): void {
    if (this.busy) {
      (this.backlog ??= []).push({ task, about });
      return;
    }
    this.execute({ task, about });
  }

  reply(reply: Reply): void {
    if (reply.kind === 'error') this.ctx.onErrorFrame(reply.code);
    const text = this.codec.renderReply(reply);
    // An SSE stream follows join confirmations and leaves: its event id says which rooms to resume.
    const mustMark = this.wire.noteReply?.(reply) ?? false;
    if (text !== undefined) {
      this.chargeReplies(text.length);
      this.send(text);
    } else if (mustMark) this.write(new OutboundFrame(''));
  }

  /** An error frame; `about` names the client frame it answers, when there is one. */
  error(code: ErrorCode, message: string, about?: ErrorSubject): void {
    this.reply({ kind: 'error', code, message, re: about?.re, room: about?.room, id: about?.id });
  }

  /** An error answering the command running now (a gateway handler refused it). */
  refuse(code: ErrorCode, message: string): void {
    this.error(code, message, this.current);
  }

  /** A decoded command is about to be queued (an SSE stream notes where a resuming join starts). */
  noteCommand(command: Command): void {
    this.wire.noteCommand?.(command);
  }

  /** The client frame the command running now answers, kept by a handler that reports an error after it returned. */
  get answering(): ErrorSubject | undefined {
    return this.current;
  }

  /** Runs `task`, then the backlog, until a task has to wait; the rest resumes when it is done. */
  private execute(first: Queued): void {
    for (let q: Queued | undefined = first; q !== undefined; q = this.takeNext()) {
      this.current = q.about;
      let result: ReplyOrNothing | Promise<ReplyOrNothing>;
      try {
        result = q.task();
      } catch (err) {
        this.fail(err);
        continue;
      }
      if (result instanceof Promise) {
        this.busy = true;
        result
          .then(
            (r) => r && this.reply(r),
            (err: unknown) => this.fail(err),
          )
          .then(() => {
            this.busy = false;
            this.current = undefined;
            const next = this.takeNext();
            if (next) this.execute(next);
            else this.settled();
          });
        return;
      }
      if (result) this.reply(result);
    }
    this.current = undefined;
    this.settled();
  }

  /**
   * The gateway has queued what the connection does as it opens (its `handleConnection`):
   * once those commands settled, the flush that writes their replies lets go of what the wire
   * held back — a WebSocket's 101 answer then leaves in the same write as a room's
   * `user_list` or a welcome, not in a write of its own.
   */
  releaseWhenSettled(): void {
    this.opening = 'running';
    if (!this.busy) this.settled();
  }

  /** Nothing is running or queued: a held opening is let go at the end of this turn. */
  private settled(): void {
    if (this.opening !== 'running') return;
    this.opening = 'due';
    if (this.scheduled !== 'now') {
      this.scheduled = 'now';
      this.ctx.batcher.add(this);
    }
  }

  private takeNext(): Queued | undefined {
    const next = this.backlog?.shift();
    if (this.backlog?.length === 0) this.backlog = undefined;
    return next;
  }

  /**
   * Answers the command running now with an `error` frame naming it: a CommandError keeps its
   * code and text; anything else is logged with context and the client hears only that the
   * request failed.
   */
  fail(err: unknown): void {
    if (err instanceof CommandError) return this.refuse(err.code, err.message);
    this.ctx.onInternalError(err, this);
    this.refuse(ErrorCode.Internal, 'internal error; the request was not completed');
  }

  /** Counts a client frame against the rate limit (see FrameBudget); the rest of a costly frame's price is judged once it is decoded. */
  admitFrame(now: number): Verdict {
    this.lastSeen = now;
    return this.judged(this.budget.admitFrame(now));
  }

  /** A budget's verdict on this client's frame; 'close' ends the connection for the rate limit (no later frame is taken). */
  judged(verdict: Verdict): Verdict {
    if (verdict === 'close') this.closeReason = 'rate_limit';
    return verdict;
  }

  /** True for the first dropped frame of a run, so the client gets one error, not one per frame. */
  get firstStrike(): boolean {
    return this.budget.firstStrike;
  }

  /** Counts `bytes` the client's own requests made the server send (replies, replays) against WEBSOCKET_REPLY_RATE. */
  chargeReplies(bytes: number): void {
    this.budget.chargeReplies(bytes);
  }

  /** Bytes queued for this connection since it opened. */
  get bytesWritten(): number {
    return this.written;
  }

  // ---- outbound ---------------------------------------------------------------------

  /** Unsent bytes held for this connection in the process. */
  get pendingBytes(): number {
    return this.queuedBytes + this.wire.outlet.writableLength;
  }

  /** Queues a pre-encoded frame for the end of this turn; false if the connection is not open. */
  write(frame: OutboundFrame): boolean {
    if (!this.wire.open) return false;
    const head = this.wire.head?.(frame);
    const bytes = this.wire.bytes(frame);
    const frames = (this.frames ??= []);
    let queued = bytes.length;
    if (typeof head === 'string' || Buffer.isBuffer(head)) {
      frames.push(head);
      queued += head.length;
    } else if (head !== undefined) {
      frames.push(head[0], head[1]);
      queued += head[0].length + head[1].length;
    }
    if (bytes.length > 0) frames.push(bytes);
    this.queuedBytes += queued;
    this.written += queued;
    this.ctx.flow.queuedMore(queued);
    if (frame.lazy) {
      if (!this.scheduled) {
        this.scheduled = 'later';
        this.ctx.batcher.addLater(this);
      }
    } else if (this.scheduled !== 'now') {
      // Frames already waiting for the notice delay leave now too, before this one.
      this.scheduled = 'now';
      this.ctx.batcher.add(this);
    }
    return true;
  }

  /** Encodes and queues one text frame to this connection only. */
  send(text: string): boolean {
    return this.write(new OutboundFrame(text));
  }

  /** Pings the client (heartbeat); its answer refreshes `lastSeen`. */
  ping(): void {
    this.wire.ping();
  }

  /** End of the turn (WriteBatcher): hand the socket what it takes, shed a client too far behind. */
  flush(): void {
    this.scheduled = false;
    if (!this.wire.open) return this.dropFrames();
    if (!this.waitingDrain) this.pump(false);
    if (this.opening === 'due') {
      this.opening = false;
      this.wire.release?.();
    }
    this.checkBacklog();
  }

  /** Closes because the client does not read fast enough; nothing more is written to it. */
  shed(): void {
    this.dropFrames();
    this.close(CloseCode.TryAgainLater, 'slow consumer', 'slow_consumer');
  }

  /** Closes after whatever was already queued for the client, so the close frame comes last. */
  close(code: number, reason: string, why: DisconnectReason): void {
    if (!this.wire.open) return;
    this.closeReason ??= why;
    this.pump(true);
    this.wire.close(code, reason);
  }

  terminate(why: DisconnectReason): void {
    this.closeReason ??= why;
    this.dropFrames();
    this.wire.terminate();
  }

  private checkBacklog(): void {
    const pending = this.pendingBytes;
    if (pending === 0) this.backlogSince = 0;
    else if (pending > this.ctx.maxPendingBytes) this.shed();
    else if (this.backlogSince === 0) this.backlogSince = Date.now();
  }

  /** Writes queued frames in chunks until the socket pushes back (or all of them, when forced). */
  private pump(force: boolean): void {
    const frames = this.frames;
    if (!frames) return;
    while (this.head < frames.length) {
      let end = this.head;
      let bytes = 0;
      while (end < frames.length && (bytes === 0 || bytes + frames[end].length <= CHUNK_BYTES)) bytes += frames[end++].length;
      const first = frames[this.head];
      const chunk = end - this.head === 1 && typeof first !== 'string' ? first : concat(frames, this.head, end, bytes);
      this.head = end;
      this.queuedBytes -= bytes;
      this.ctx.flow.queuedLess(bytes);
      if (!this.wire.outlet.write(chunk) && !force) {
        this.waitingDrain = true;
        this.wire.outlet.once('drain', (this.onDrain ??= () => this.drained()));
        break;
      }
    }
    if (this.head === frames.length) {
      this.frames = undefined;
      this.head = 0;
    }
  }

  private drained(): void {
    this.waitingDrain = false;
    if (!this.wire.open) return this.dropFrames();
    this.pump(false);
    this.checkBacklog();
  }

  private dropFrames(): void {
    this.ctx.flow.queuedLess(this.queuedBytes);
    this.frames = undefined;
    this.head = 0;
    this.queuedBytes = 0;
  }
}

function concat(frames: ReadonlyArray<Buffer | string>, from: number, to: number, bytes: number): Buffer {
  const chunk = Buffer.allocUnsafe(bytes);
  let offset = 0;
  for (let i = from; i < to; i++) {
    const frame = frames[i];
    offset += typeof frame === 'string' ? chunk.write(frame, offset, 'latin1') : frame.copy(chunk, offset);
  }
  return chunk;
}
