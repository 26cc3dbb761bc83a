import type { HistogramData } from './histogram';
import type { ChildEnding } from './load-protocol';

/** What the orchestrator and a storm-client process say to each other (fork IPC) in the `storm` scenario. */

export interface StormClientPlan {
  /** ws: the full URL of its first connection (token and room included). socketio: the server's base URL. */
  url: string;
  /** socketio only: the handshake query (room, user_id). */
  query?: Record<string, string>;
  room: string;
  /** Where it connects again when its connection drops (the next on failure), room path and token included. */
  fallback: string[];
  /** It sends its room's messages (one client per room; it does not count as a receiver). */
  sender?: boolean;
}

export type StormCommand =
  | {
      cmd: 'open';
      /** The gateway's rooms dialect over raw `ws`, or socket.io-client (no resume: it just connects again). */
      mode: 'ws' | 'socketio';
      clients: StormClientPlan[];
      /** Source addresses, used round-robin. */
      localAddresses: string[];
      /** Handshakes in flight at once in this process (openings and reconnects alike). */
      window: number;
    }
  /** Sends `total` numbered messages at `rate`/s round-robin over this process's senders. */
  | { cmd: 'send'; total: number; rate: number; payloadBytes: number }
  /** The replica was killed at `at` (wall ms): latency of later messages is recorded apart. */
  | { cmd: 'killed'; at: number }
  | { cmd: 'report' }
  | { cmd: 'close' };

export type StormEvent =
  | { ev: 'opened'; connected: number; failed: number; firstFailure?: string; firstStartAt: number; lastReadyAt: number }
  /** Messages sent per room (sequence numbers 0 … n−1). */
  | { ev: 'sent'; perRoom: Record<string, number> }
  | ChildEnding<StormReport>;

export interface StormReport {
  clients: number;
  /** Distinct sequence numbers received, summed over the room's clients in this process. */
  receivedByRoom: Record<string, number>;
  clientsByRoom: Record<string, number>;
  duplicates: number;
  /** Clients whose connection dropped; of them, back in their room (join reply), and resumed (`recovered: true`). */
  moved: number;
  rejoined: number;
  recovered: number;
  /** Wall ms: the first drop seen, the last re-join reply. */
  firstDropAt?: number;
  lastRejoinAt?: number;
  reconnectFailures: number;
  firstReconnectFailure?: string;
  /** Latency (µs) at the clients that never lost their connection: messages sent before the kill, and from it on. */
  stayedBefore: HistogramData;
  stayedAfter: HistogramData;
  closes: Record<string, number>;
  errorFrames: number;
  firstError?: string;
}
