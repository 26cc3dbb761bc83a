import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { CONFIG, type SwitchboardConfig } from '@switchboard/config';
import type { Connection } from './connection';
import { CONNECTIONS, type ConnectionRegistry } from './connection-registry';
import { HandshakeService } from './handshake.service';

/** How often unsent backlogs are checked against WEBSOCKET_WRITE_WAIT. */
const BACKLOG_CHECK_MS = 500;
/**
 * Pings go out in slices this far apart, so 100k pings never hold the event loop at once: a
 * ping is a socket write (tens of µs here), and 18,000 connections pinged every 5 s in 100 ms
 * slices held the loop ~7 ms per slice, which was the probe room's p99 in the idle-many bench.
 */
export const PING_SLICE_MS = 20;

/**
 * Liveness for every local connection, with two timers for the whole replica (never one
 * per connection). Once per PING_PERIOD every connection is visited — spread over the
 * period in slices, a share of them every PING_SLICE_MS: one silent for longer than PONG_WAIT is
 * terminated, the others pinged; so a dead client goes within PONG_WAIT + PING_PERIOD.
 * Every half second it closes (1013) connections whose unsent data has not drained
 * within WRITE_WAIT.
 */
@Injectable()
export class HeartbeatService implements OnModuleInit, OnApplicationShutdown {
  private pingTimer?: NodeJS.Timeout;
  private backlogTimer?: NodeJS.Timeout;
  /** The ping round in progress: its connections, the next to visit, how many per slice, when it began. */
  private round?: Connection[];
  private next = 0;
  private perSlice = 0;
  private roundStartedAt = 0;
  /** Connections since they opened, oldest first, until their first ping (see `welcome`). */
  private newcomers: Connection[] = [];
  private newcomersHead = 0;

  constructor(
    @Inject(CONFIG) private readonly config: SwitchboardConfig,
    @Inject(CONNECTIONS) private readonly connections: ConnectionRegistry,
    private readonly handshake: HandshakeService,
  ) {}

  onModuleInit(): void {
    this.pingTimer = setInterval(() => this.pingSlice(), Math.min(PING_SLICE_MS, this.config.ws.pingPeriodMs));
    this.backlogTimer = setInterval(() => this.backlogSweep(), Math.min(BACKLOG_CHECK_MS, this.config.ws.writeWaitMs));
    this.pingTimer.unref();
    this.backlogTimer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.pingTimer);
    clearInterval(this.backlogTimer);
  }

  /**
   * A connection just opened. Rounds reach it within two periods, which can be later than
   * PONG_WAIT: one never pinged by then gets its first ping from here, PONG_WAIT − PING_PERIOD
   * after it opened (as spread out as the connects were), so one that died at once still
   * goes within PONG_WAIT + PING_PERIOD. Most are pinged by a round first and skipped.
   */
  welcome(conn: Connection): void {
    this.newcomers.push(conn);
  }

  /**
   * Visits the next slice of the current round; starts a round once per PING_PERIOD. A round
   * walks the connections open when it started (so it ends within the period however many
   * arrive meanwhile); one that arrived later is first seen in the next round. A connection
   * is judged silent only once it has been pinged — by its first visit (at most two periods
   * after it connected) or, if that comes too late, by `welcome`'s queue — and a visit when it
   * has been silent longer than PONG_WAIT ends it.
   */
  pingSlice(now = Date.now()): void {
    this.pingNewcomers(now);
    const { pongWaitMs, pingPeriodMs } = this.config.ws;
    if (this.round === undefined) {
      if (now - this.roundStartedAt < pingPeriodMs) return;
      this.roundStartedAt = now;
      this.round = [...this.connections.all()];
      this.next = 0;
      this.perSlice = Math.max(1, Math.ceil(this.round.length / Math.max(1, Math.floor(pingPeriodMs / PING_SLICE_MS))));
      this.handshake.prune();
    }
    const round = this.round;
    const end = Math.min(round.length, this.next + this.perSlice);
    for (; this.next < end; this.next++) {
      const conn = round[this.next];
      if (conn.pinged && now - conn.lastSeen > pongWaitMs) conn.terminate('timeout');
      else if (conn.open) {
        conn.pinged = true;
        conn.ping();
      }
    }
    if (this.next >= round.length) this.round = undefined;
  }

  private pingNewcomers(now: number): void {
    const { pongWaitMs, pingPeriodMs } = this.config.ws;
    const openedBefore = now - Math.max(0, pongWaitMs - pingPeriodMs);
    const queue = this.newcomers;
    for (; this.newcomersHead < queue.length; this.newcomersHead++) {
      const conn = queue[this.newcomersHead];
      if (conn.connectedAt > openedBefore) break;
      if (conn.open && !conn.pinged) {
        conn.pinged = true;
        conn.ping();
      }
    }
    if (this.newcomersHead > 1024 && this.newcomersHead * 2 > queue.length) {
      this.newcomers = queue.slice(this.newcomersHead);
      this.newcomersHead = 0;
    }
  }

  backlogSweep(now = Date.now()): void {
    const { writeWaitMs } = this.config.ws;
    for (const conn of this.connections.all()) {
      if (conn.backlogSince === 0) continue;
      if (conn.pendingBytes === 0) conn.backlogSince = 0;
      else if (now - conn.backlogSince > writeWaitMs) conn.shed();
    }
  }
}
