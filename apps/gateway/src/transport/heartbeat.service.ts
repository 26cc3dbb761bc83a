import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { CONFIG, type SwitchboardConfig } from '../../../../libs/config/src';
import { CONNECTIONS, type ConnectionRegistry } from './connection-registry';
import { HandshakeService } from './handshake.service';

/** How often unsent backlogs are checked against WEBSOCKET_WRITE_WAIT. */
const BACKLOG_CHECK_MS = 500;

/**
 * Liveness for every local connection, with two timers for the whole replica (never one
 * per connection): every PING_PERIOD it terminates connections silent for longer than
 * PONG_WAIT and pings the rest; every half second it closes (1013) connections whose
 * unsent data has not drained within WRITE_WAIT.
 */
@Injectable()
export class HeartbeatService implements OnModuleInit, OnApplicationShutdown {
  private pingTimer?: NodeJS.Timeout;
  private backlogTimer?: NodeJS.Timeout;

  constructor(
    @Inject(CONFIG) private readonly config: SwitchboardConfig,
    @Inject(CONNECTIONS) private readonly connections: ConnectionRegistry,
    private readonly handshake: HandshakeService,
  ) {}

  onModuleInit(): void {
    this.pingTimer = setInterval(() => this.pingSweep(), this.config.ws.pingPeriodMs);
    this.backlogTimer = setInterval(() => this.backlogSweep(), Math.min(BACKLOG_CHECK_MS, this.config.ws.writeWaitMs));
    this.pingTimer.unref();
    this.backlogTimer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.pingTimer);
    clearInterval(this.backlogTimer);
  }

  pingSweep(now = Date.now()): void {
    const { pongWaitMs } = this.config.ws;
    for (const conn of this.connections.all()) {
      if (now - conn.lastSeen > pongWaitMs) conn.terminate('timeout');
      else if (conn.open) conn.ws.ping();
    }
    this.handshake.prune();
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
