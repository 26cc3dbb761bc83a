import type { HistogramData } from './histogram';

/** How a load client speaks to the server. */
export type ClientMode = 'ws' | 'socketio';

/** One room of a run: its name, the client that sends to it, and how many messages it gets. */
export interface RoomPlan {
  name: string;
  /** Name of the sending client (a member of the room), as receivers should see it in `user_id`. */
  sender: string;
  messages: number;
}

/** One client of a load process. */
export interface ClientPlan {
  name: string;
  /** `ws`: the WebSocket URL. `socketio`: the server's base URL (`http://host:port`). */
  url: string;
  /** Index into the rooms of the connect command; -1 for a client in no measured room. */
  room: number;
  /** `socketio` only: the handshake query (room to join, user id). */
  query?: Record<string, string>;
  /** `ws` mode only: `url` is an SSE stream (`http://…/sse/…`) this client reads instead of opening a WebSocket; it sends by POST. */
  sse?: boolean;
}

/** What the orchestrator asks a load-client process to do (over the fork IPC channel). */
export type LoadCommand =
  | {
      cmd: 'connect';
      mode: ClientMode;
      /** This process's clients. */
      clients: ClientPlan[];
      /** The rooms of the run; clients refer to them by index. */
      rooms: RoomPlan[];
      /** Client sockets opened at once; the next batch starts when this one is ready. */
      batch: number;
      /**
       * When a client counts as ready: on open, on the server's first `user_list` frame (the
       * gateway's answer to a join), or on Socket.IO's `connect` (the server ran its handler).
       */
      readyOn: 'open' | 'user_list' | 'connect';
    }
  /** Starts the measured window: progress reports begin. */
  | { cmd: 'arm' }
  /**
   * Sends `total` messages numbered k = 0…total−1: message k goes to room k mod rooms (as that
   * room's message ⌊k / rooms⌋), from the room's sender; a process sends the messages of the
   * senders it holds. With `rate` > 0 message k leaves at `startAt + k × 1000 / rate` (wall
   * clock ms, shared by every process); with 0 as fast as backpressure allows. With `ids` each
   * chat frame carries a publish `id` (room-seq), so the gateway acks it (acks-2r).
   */
  | { cmd: 'send'; total: number; payloadBytes: number; rate: number; startAt: number; ids?: boolean }
  | { cmd: 'report' }
  | { cmd: 'close' };

/** What a load-client process tells the orchestrator. */
export type LoadEvent =
  | { ev: 'ready'; connected: number; failed: number; firstFailure?: string; ms: number }
  /** `sent` is 0 (and the times 0) in a process that holds no sender. */
  | { ev: 'sent'; sent: number; firstSendAt: number; lastSendAt: number; backpressureWaits: number; behindMs: number }
  | { ev: 'progress'; deliveries: number; lastDeliveryAt: number }
  | { ev: 'complete'; deliveries: number; lastDeliveryAt: number }
  | ChildEnding<LoadReport>;

/** How a bench child process answers `report`, or says it cannot go on. */
export type ChildEnding<R> = { ev: 'report'; report: R } | { ev: 'fatal'; error: string };

/** What went wrong in delivery, summed over clients: a run's result carries it as it came from them. */
export interface DeliveryTally {
  /** Sequence numbers a client never received. */
  lost: number;
  /** Sequence numbers a client received more than once (extra copies). */
  duplicated: number;
  /** Frames that arrived after a higher sequence number (of the same room). */
  reordered: number;
  /** Clients that missed at least one message, and what the first of them missed. */
  lossyClients: number;
  firstLoss?: string;
  /**
   * Delivered frames whose JSON did not have the expected shape (checked on each client's
   * first), plus messages of another room or past the room's last sequence number.
   */
  shapeErrors: number;
  /** `ack` frames the server sent (acks-2r: one per message sent with an id). */
  acks: number;
  /** `error` frames the server sent, and the first of them. */
  errorFrames: number;
  firstError?: string;
  /** Sockets closed before the orchestrator said so, by close code (Socket.IO: by reason). */
  unexpectedCloses: Record<string, number>;
}

/** One process's delivery accounting; counts are summed over its clients. */
export interface LoadReport extends DeliveryTally {
  clients: number;
  /** Message frames received, duplicates included. */
  deliveries: number;
  expected: number;
  firstDeliveryAt: number;
  lastDeliveryAt: number;
  latency: HistogramData;
  /** CPU the process used while the run was armed (µs), to see whether clients were the bottleneck. */
  cpuMicros: number;
  /** The longest the process's event loop was blocked while armed (ms): a busy client delays what it measures. */
  maxLoopLagMs: number;
}

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
