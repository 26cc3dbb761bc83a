import type { Socket } from 'node:net';
import { CloseCode, type Command, type Reply, Sse } from '@switchboard/protocol';
import type { OutboundFrame } from '../outbound-frame';
import type { Outlet, TransportName, Wire } from '../wire';
import type { RoomMarks } from './room-marks';

/** A heartbeat event: the client answers with any POST to its session. */
const PING_EVENT = Buffer.from(`event: ${Sse.event.ping}\ndata: {}\n\n`);

/**
 * An SSE stream (`text/event-stream`, its body the rest of the connection) as a connection's
 * wire: each frame is one event whose data is the frame's JSON, the same bytes for every SSE
 * recipient, written to the socket as a WebSocket's frames are; the stream's own event id
 * (RoomMarks) goes in front of an event when it moved. Client frames do not come through here
 * but as POSTs to the session (SseEndpoint); so there is nothing to pause, and a ping is
 * answered by a POST.
 *
 * A close writes a `close` event `{code, reason}` and ends the connection; the client's
 * EventSource then reconnects by itself, which is what 1012 (drain) asks for.
 */
export class SseWire implements Wire {
  readonly transport: TransportName = 'sse';
  private state: 'open' | 'closing' | 'closed' = 'open';
  /** The code the server closed the stream with; an end the client made is a loss (1006).*/
  private closedWith: number | undefined;
  private readonly closeListeners: Array<() => void> = [];

  constructor(
    private readonly socket: Socket,
    readonly marks: RoomMarks,
  ) {
    socket.once('close', () => this.ended());
  }

  get outlet(): Outlet {
    return this.socket;
  }

  get open(): boolean {
    return this.state === 'open';
  }

  /**
   * The stream's event id, when this frame (or a reply or leave before it) moved it; a frame
   * without text is the id alone. Sessions in the frame's room alone share the start of the id
   * line, made once per frame; its end (the room's resume token, which names the user) is the
   * session's own, made once per token.
   */
  head(frame: OutboundFrame): Buffer | string | readonly [Buffer, Buffer] | undefined {
    const { mark } = frame;
    if (mark !== undefined) this.marks.published(mark);
    if (!this.marks.hasMoved) return undefined;
    const key = mark === undefined ? undefined : this.marks.sharedKey(mark);
    if (key === undefined) return frame.text.length === 0 ? `id: ${this.marks.take()}\n\n` : `id: ${this.marks.take()}\n`;
    let start = frame.idStart(key);
    if (start === undefined) frame.keepIdStart(key, (start = Buffer.from(this.marks.idStart(mark!), 'latin1')));
    return [start, this.marks.idEnd(mark!)];
  }

  bytes(frame: OutboundFrame): Buffer {
    return frame.text.length === 0 ? EMPTY : frame.event;
  }

  noteReply(reply: Reply): boolean {
    if (reply.kind === 'user_list' || reply.kind === 'joined') {
      this.marks.confirmed(reply.room, reply.position, reply.recovered, reply.resumeToken);
    } else if (reply.kind === 'left') {
      this.marks.left(reply.room);
    }
    return this.marks.hasMoved;
  }

  noteCommand(command: Command): void {
    if (command.kind === 'join' && command.since !== undefined) this.marks.joining(command.room, command.since);
  }

  /** A keep-alive comment, straight to the socket as a ping. */
  comment(bytes: Buffer): void {
    if (this.state === 'open') this.socket.write(bytes);
  }

  /** Written straight to the socket: an event may go between queued events, which are whole events too. */
  ping(): void {
    if (this.state === 'open') this.socket.write(PING_EVENT);
  }

  close(code: number, reason: string): void {
    if (this.state !== 'open') return;
    this.state = 'closing';
    this.closedWith = code;
    this.socket.end(`event: ${Sse.event.close}\ndata: ${JSON.stringify({ code, reason })}\n\n`);
  }

  terminate(): void {
    if (this.state === 'closed') return;
    this.state = 'closing';
    this.socket.destroy();
  }

  pause(): void {}

  resume(): void {}

  onClose(listener: () => void): void {
    this.closeListeners.push(listener);
  }

  get closeCode(): number | undefined {
    return this.state === 'closed' ? (this.closedWith ?? CloseCode.Abnormal) : undefined;
  }

  private ended(): void {
    this.state = 'closed';
    for (const listener of this.closeListeners.splice(0)) listener();
  }
}

const EMPTY = Buffer.alloc(0);
