import type { ServerResponse } from 'node:http';
import { type Command, type Reply, Sse } from '@switchboard/protocol';
import type { OutboundFrame } from '../outbound-frame';
import type { Outlet, TransportName, Wire } from '../wire';
import type { RoomMarks } from './room-marks';

/** A heartbeat event: the client answers with any POST to its session. */
const PING_EVENT = Buffer.from(`event: ${Sse.event.ping}\ndata: {}\n\n`);

/**
 * An SSE stream (`text/event-stream` on an HTTP response) as a connection's wire: each frame
 * is one event whose data is the frame's JSON, the same bytes for every SSE recipient; the
 * stream's own event id (RoomMarks) goes in front of an event when it moved. Client frames
 * do not come through here but as POSTs to the session (SseEndpoint); so there is nothing to
 * pause, and a ping is answered by a POST.
 *
 * A close writes a `close` event `{code, reason}` and ends the response; the client's
 * EventSource then reconnects by itself, which is what 1012 (drain) asks for.
 */
export class SseWire implements Wire {
  readonly transport: TransportName = 'sse';
  private state: 'open' | 'closing' | 'closed' = 'open';
  private readonly closeListeners: Array<() => void> = [];

  constructor(
    private readonly res: ServerResponse,
    readonly marks: RoomMarks,
  ) {
    res.once('close', () => this.ended());
  }

  get outlet(): Outlet {
    return this.res as unknown as Outlet;
  }

  get open(): boolean {
    return this.state === 'open';
  }

  bytes(frame: OutboundFrame): Buffer {
    if (frame.mark !== undefined) this.marks.published(frame.mark);
    const idOnly = frame.text.length === 0;
    if (!this.marks.hasMoved) return idOnly ? EMPTY : frame.event;
    const head = `id: ${this.marks.take()}\n`;
    if (idOnly) return Buffer.from(`${head}\n`);
    const event = frame.event;
    const bytes = Buffer.allocUnsafe(head.length + event.length);
    bytes.write(head, 0, 'latin1');
    event.copy(bytes, head.length);
    return bytes;
  }

  noteReply(reply: Reply): boolean {
    if (reply.kind === 'user_list' || reply.kind === 'joined') {
      this.marks.confirmed(reply.room, reply.position, reply.recovered);
    } else if (reply.kind === 'left') {
      this.marks.left(reply.room);
    }
    return this.marks.hasMoved;
  }

  noteCommand(command: Command): void {
    if (command.kind === 'join' && command.since !== undefined) this.marks.joining(command.room, command.since);
  }

  /** Written straight to the response: an event may go between queued events, which are whole events too. */
  ping(): void {
    if (this.state === 'open') this.res.write(PING_EVENT);
  }

  close(code: number, reason: string): void {
    if (this.state !== 'open') return;
    this.state = 'closing';
    this.res.end(`event: ${Sse.event.close}\ndata: ${JSON.stringify({ code, reason })}\n\n`);
  }

  terminate(): void {
    if (this.state === 'closed') return;
    this.state = 'closing';
    this.res.destroy();
  }

  pause(): void {}

  resume(): void {}

  onClose(listener: () => void): void {
    this.closeListeners.push(listener);
  }

  private ended(): void {
    this.state = 'closed';
    for (const listener of this.closeListeners.splice(0)) listener();
  }
}

const EMPTY = Buffer.alloc(0);
