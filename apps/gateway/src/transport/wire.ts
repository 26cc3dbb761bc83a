import type { Command, Reply } from '@switchboard/protocol';
import type { OutboundFrame } from './outbound-frame';

/** How a connection reaches its client: a WebSocket, or an SSE stream with HTTP POSTs up. Metrics and logs name it (`transport`). */
export type TransportName = 'websocket' | 'sse';

/**
 * The byte stream under a wire, as a connection writes to it: a socket, or an HTTP response.
 * `write` returns false once the stream holds more than it wants; `drain` says when to go on.
 */
export interface Outlet {
  readonly writableLength: number;
  write(chunk: Buffer): boolean;
  once(event: 'drain', listener: () => void): unknown;
}

/**
 * What a Connection writes through, so that the hub, the broadcaster and the dialect gateways
 * cannot tell a WebSocket client from an SSE one: a connection hands it frames and close
 * requests and asks whether it is open; how frames are framed on the wire, how the client is
 * pinged and told about a close, is the wire's.
 *
 * Guarantees every wire gives: `bytes` is called once per frame per connection, in write
 * order, and what it returns is written in that order; `close` comes after every frame
 * queued before it was written; after `close` or `terminate`, `open` is false and the close
 * listeners run exactly once, when the client is gone.
 */
export interface Wire {
  readonly transport: TransportName;
  /** True until the connection starts closing. */
  readonly open: boolean;
  /** Where the connection's queued bytes go. */
  readonly outlet: Outlet;
  /**
   * What this connection writes before `frame` (an SSE stream's event id, when the frame moved
   * it): bytes, ASCII text of its own, two pieces of bytes (one shared with other connections,
   * one of its own), or undefined. Called before `bytes`, once per frame.
   */
  head?(frame: OutboundFrame): Buffer | string | readonly [Buffer, Buffer] | undefined;
  /** The bytes of `frame` on this wire, the same for every connection of the transport (a WebSocket frame, an SSE event). */
  bytes(frame: OutboundFrame): Buffer;
  /**
   * A reply is about to be written to this client. An SSE stream follows join confirmations
   * and leaves (its event id names the rooms to resume); true when the client must get an
   * event for it even though the dialect renders nothing (a leave, in the rooms dialect).
   */
  noteReply?(reply: Reply): boolean;
  /** A client command is about to be queued (an SSE stream notes where a resuming join starts). */
  noteCommand?(command: Command): void;
  /** A heartbeat to the client; its answer (or any frame) refreshes the connection's `lastSeen`. */
  ping(): void;
  /** Ends the connection with a close code, after what was already written. */
  close(code: number, reason: string): void;
  /** Cuts the connection off at once. */
  terminate(): void;
  /**
   * Lets go of what the wire held back as it opened (a WebSocket's 101 answer, corked so that
   * it leaves in one write with the connection's first frames). Called once the connection's
   * opening commands settled, or as it closes; a no-op after the first call.
   */
  release?(): void;
  /** Stops reading from the client (replica-wide flow control) until `resume`. */
  pause(): void;
  resume(): void;
  /** Runs once the connection is closed, whichever side closed it. */
  onClose(listener: () => void): void;
  /**
   * Once closed: the code it closed with. 1000 means the client said goodbye; 1006 that the
   * connection was lost without a word (an SSE stream that ends has said none).
   */
  readonly closeCode: number | undefined;
}
