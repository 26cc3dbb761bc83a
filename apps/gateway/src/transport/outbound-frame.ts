import { textFrame } from './frame';

/** Where a room publication stands in its room's history: an SSE stream's event id follows it. */
export interface RoomMark {
  room: string;
  offset: number;
  epoch: string;
}

/**
 * A server frame rendered once (its JSON text) and framed at most once per transport, the
 * first time a recipient on that transport needs it: every WebSocket recipient gets the same
 * WebSocket frame, every SSE recipient the same `data:` lines. `mark` is set for a kept room
 * publication (SSE streams turn it into their event id).
 */
export class OutboundFrame {
  private websocketBytes: Buffer | undefined;
  private eventBytes: Buffer | undefined;
  /** The start of the SSE event id lines of recipients whose ids this frame sets alike, by what the id says before this frame's offset. */
  private idStarts: Map<string, Buffer> | undefined;

  /**
   * `lazy`: nobody waits for this frame (a join or leave notice), so it may wait a little for
   * the frames after it and leave in one write with them (WEBSOCKET_PRESENCE_NOTICE_DELAY).
   */
  constructor(
    readonly text: string,
    readonly mark?: RoomMark,
    readonly lazy = false,
  ) {}

  /** RFC 6455 text frame (FIN, opcode 1, unmasked). */
  get websocket(): Buffer {
    return (this.websocketBytes ??= textFrame(this.text));
  }

  /** The data lines of a Server-Sent Event and the blank line that ends it. */
  get event(): Buffer {
    return (this.eventBytes ??= eventData(this.text));
  }

  /** The start of an SSE `id:` line (up to this frame's offset) already made for recipients whose ids start with `key`. */
  idStart(key: string): Buffer | undefined {
    return this.idStarts?.get(key);
  }

  /** Keeps the start of the `id:` line of recipients with `key`, made once per frame. */
  keepIdStart(key: string, start: Buffer): void {
    (this.idStarts ??= new Map()).set(key, start);
  }
}

/**
 * `data: <text>\n\n`. A codec's JSON is one line; were there a line feed, each line gets its own
 * `data:` and the client joins them with line feeds again, so it reads the same text.
 */
export function eventData(text: string): Buffer {
  const body = text.includes('\n') ? text.split('\n').join('\ndata: ') : text;
  return Buffer.from(`data: ${body}\n\n`);
}
