import type { HistogramData } from './histogram';

/** What the orchestrator asks a load-client process to do (over the fork IPC channel). */
export type LoadCommand =
  | {
      cmd: 'connect';
      /** This process's clients; the first is the sender if this process sends. */
      clients: Array<{ name: string; url: string }>;
      /** Client sockets opened at once; the next batch starts when this one is ready. */
      batch: number;
      /** When a client counts as ready: on open, or on the server's first `user_list` frame. */
      readyOn: 'open' | 'user_list';
      /** Room the messages go to (also checked in every client's first delivery). */
      room: string;
      /** Messages every client should receive (0 in idle mode). */
      messages: number;
      /** Name of the sending client, as receivers should see it in `user_id`. */
      sender: string;
    }
  /** Starts the measured window: progress reports begin. */
  | { cmd: 'arm' }
  /**
   * Sends `messages` messages of `payloadBytes` content from this process's first client,
   * `rate` a second (0: as fast as backpressure allows).
   */
  | { cmd: 'send'; messages: number; payloadBytes: number; rate: number }
  | { cmd: 'report' }
  | { cmd: 'close' };

/** What a load-client process tells the orchestrator. */
export type LoadEvent =
  | { ev: 'ready'; connected: number; failed: number; firstFailure?: string; ms: number }
  | { ev: 'sent'; firstSendAt: number; lastSendAt: number; backpressureWaits: number }
  | { ev: 'progress'; deliveries: number; lastDeliveryAt: number }
  | { ev: 'complete'; deliveries: number; lastDeliveryAt: number }
  | { ev: 'report'; report: LoadReport }
  | { ev: 'fatal'; error: string };

/** One process's delivery accounting; counts are summed over its clients. */
export interface LoadReport {
  clients: number;
  /** Message frames received, duplicates included. */
  deliveries: number;
  expected: number;
  /** Sequence numbers a client never received. */
  lost: number;
  /** Sequence numbers a client received more than once (extra copies). */
  duplicated: number;
  /** Frames that arrived after a higher sequence number. */
  reordered: number;
  /** Delivered frames whose JSON did not have the expected shape (checked on each client's first). */
  shapeErrors: number;
  /** `error` frames the server sent, and the first of them. */
  errorFrames: number;
  firstError?: string;
  /** Sockets closed before the orchestrator said so, by close code. */
  unexpectedCloses: Record<string, number>;
  firstDeliveryAt: number;
  lastDeliveryAt: number;
  latency: HistogramData;
  /** CPU the process used while the run was armed (µs), to see whether clients were the bottleneck. */
  cpuMicros: number;
}

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
