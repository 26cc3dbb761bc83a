import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { CONFIG, type SwitchboardConfig } from '../../../../libs/config/src';
import type { Connection } from './connection';
import { CONNECTIONS, type ConnectionRegistry } from './connection-registry';
import { HandshakeService } from './handshake.service';

/** How often unsent backlogs are checked against WEBSOCKET_WRITE_WAIT. */
const BACKLOG_CHECK_MS = 500;
/** Pings go out in slices this far apart, so 100k pings never hold the event loop at once. */
const PING_SLICE_MS = 100;

/**
 * Liveness for every local connection, with two timers for the whole replica (never one
 * per connection). Once per PING_PERIOD every connection is visited — spread over the
 * period in slices, a share of them every 100 ms: one silent for longer than PONG_WAIT is
 * terminated, the others pinged; so a dead client goes within PONG_WAIT + PING_PERIOD.
 * Every half second it closes (1013) connections whose unsent data has not drained
 * within WRITE_WAIT.
 */
@Injectable()
export class HeartbeatService implements OnModuleInit, OnApplicationShutdown {
  private pingTimer?: NodeJS.Timeout;
  private backlogTimer?: NodeJS.Timeout;
  /** The ping round in progress: where it is, how many to visit per slice, when it began. */
  private round?: Iterator<Connection>;
  private perSlice = 0;
  private roundStartedAt = 0;

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

  /** Visits the next slice of the current round; starts a round once per PING_PERIOD. */
  pingSlice(now = Date.now()): void {
    const { pongWaitMs, pingPeriodMs } = this.config.ws;
    if (this.round === undefined) {
      if (now - this.roundStartedAt < pingPeriodMs) return;
      this.roundStartedAt = now;
      this.round = this.connections.all()[Symbol.iterator]();
      this.perSlice = Math.max(1, Math.ceil(this.connections.size / Math.max(1, Math.floor(pingPeriodMs / PING_SLICE_MS))));
      this.handshake.prune();
    }
    for (let i = 0; i < this.perSlice; i++) {
      const next = this.round.next();
      if (next.done) {
        this.round = undefined;
        return;
      }
      const conn = next.value;
      if (now - conn.lastSeen > pongWaitMs) conn.terminate('timeout');
      else if (conn.open) conn.ws.ping();
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
