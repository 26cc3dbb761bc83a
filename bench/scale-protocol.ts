import type { HistogramData } from './histogram';
import type { ChildEnding } from './load-protocol';

/**
 * What the orchestrator and a scale-client process say to each other (fork IPC) in the
 * size scenarios (`fill-room`, `idle-many`): many connections opened as fast as a window of
 * in-flight handshakes allows, from several loopback source addresses.
 */

/** How a scale client speaks: raw `ws` (the gateway, the ws reference) or socket.io-client. */
export type ScaleMode = 'ws' | 'socketio';

/** When a client counts as connected: socket open, first `user_list` (the gateway's join reply), Socket.IO `connect`. */
export type ReadyOn = 'open' | 'user_list' | 'connect';

export interface ScaleClientPlan {
  /** ws: the full URL (token included). socketio: the server's base URL. */
  url: string;
  /** socketio only: the handshake query. */
  query?: Record<string, string>;
}

export type ScaleCommand =
  | {
      cmd: 'open';
      mode: ScaleMode;
      clients: ScaleClientPlan[];
      /** Source addresses, used round-robin (client i binds localAddresses[i mod k]). */
      localAddresses: string[];
      /** Handshakes in flight at once in this process. */
      window: number;
      readyOn: ReadyOn;
    }
  /** Client `index` (of this process) sends one frame (JSON text). */
  | { cmd: 'send'; index: number; frame: string }
  /** Resets what the clients counted of `message` and `user_list` frames and ping intervals. */
  | { cmd: 'reset' }
  /** Client `index` stops answering pings (reads on, so it sees the server close it). */
  | { cmd: 'mute'; index: number }
  /** Sends `messages` numbered messages at `rate`/s from client `sender` to `room`; every client records latency. */
  | { cmd: 'probe'; sender: number; room: string; messages: number; rate: number; payloadBytes: number }
  | { cmd: 'report' }
  | { cmd: 'close' };

export type ScaleEvent =
  | {
      ev: 'opened';
      connected: number;
      failed: number;
      firstFailure?: string;
      /** Wall clock (ms): first handshake started, last client ready. */
      firstStartAt: number;
      lastReadyAt: number;
      /** Bytes of the `user_list` frames the clients got while connecting. */
      userListBytes: number;
      /** When each client became ready (wall clock ms), in order. */
      readyTimes: number[];
    }
  | { ev: 'sent' }
  /** A muted client was closed by the server: when (wall ms) and with which code. */
  | { ev: 'closed'; index: number; at: number; code: number }
  | { ev: 'probed'; sent: number }
  | ChildEnding<ScaleReport>;

export interface ScaleReport {
  clients: number;
  /** Clients that received at least one `message` frame since the last reset, and all such frames. */
  clientsWithMessage: number;
  /** Clients that became ready, muted ones apart, and saw at least one ping interval (two pings) since the last reset; those that saw none. */
  clientsWithPingInterval: number;
  clientsWithoutPingInterval: number;
  messages: number;
  /** The last `user_list` reply received since the last reset: names, total. */
  userList?: { names: number; total?: number; bytes: number };
  /** Intervals between consecutive pings at each client since the last reset (µs). */
  pingIntervals: HistogramData;
  /** Probe message latency (µs), send → receive. */
  probeLatency: HistogramData;
  /** Clients closed by the server (not muted ones), by code. */
  closes: Record<string, number>;
  errorFrames: number;
  firstError?: string;
}
