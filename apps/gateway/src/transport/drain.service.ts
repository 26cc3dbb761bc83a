import { Inject, Injectable, Logger } from '@nestjs/common';
import { CONFIG, type SwitchboardConfig } from '@switchboard/config';
import { CloseCode } from '@switchboard/protocol';
import { CONNECTIONS, type ConnectionRegistry } from './connection-registry';
import { HandshakeService } from './handshake.service';
import { setTimeout as sleep } from 'node:timers/promises';

const STEPS = 20;
const SETTLE_MS = 3000;

/**
 * Graceful stop (SIGTERM): readiness goes false and new upgrades get 503 at once; open
 * connections are closed with 1012 in batches spread over WEBSOCKET_DRAIN_TIMEOUT, so
 * their reconnects do not land on the other replicas all at the same instant.
 */
@Injectable()
export class DrainService {
  private readonly logger = new Logger('Drain');

  constructor(
    @Inject(CONFIG) private readonly config: SwitchboardConfig,
    @Inject(CONNECTIONS) private readonly connections: ConnectionRegistry,
    private readonly handshake: HandshakeService,
  ) {}

  async drain(): Promise<void> {
    this.handshake.startDraining();
    const conns = [...this.connections.all()];
    this.logger.log({ msg: 'draining', connections: conns.length, windowMs: this.config.ws.drainTimeoutMs });
    const steps = Math.max(1, Math.min(STEPS, conns.length));
    const perStep = Math.ceil(conns.length / steps);
    const stepMs = this.config.ws.drainTimeoutMs / steps;
    for (let i = 0; i < conns.length; i += perStep) {
      for (const conn of conns.slice(i, i + perStep)) conn.close(CloseCode.ServiceRestart, 'server restarting', 'drain');
      if (i + perStep < conns.length) await sleep(stepMs);
    }
    const deadline = Date.now() + SETTLE_MS;
    while (this.connections.size > 0 && Date.now() < deadline) await sleep(20);
    for (const conn of this.connections.all()) conn.terminate('drain');
  }
}
