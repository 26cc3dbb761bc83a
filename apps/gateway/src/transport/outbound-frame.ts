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
  /** SSE event id lines of recipients whose ids this frame sets alike, by what the id says besides this frame's offset. */
  private idLines: Map<string, Buffer> | undefined;

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

  /** An SSE `id:` line already made for recipients whose ids, but for this frame's offset, say `key`. */
  idLine(key: string): Buffer | undefined {
    return this.idLines?.get(key);
  }

  /** Keeps the `id:` line of recipients with `key`, made once per frame. */
  keepIdLine(key: string, line: Buffer): void {
    (this.idLines ??= new Map()).set(key, line);
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
