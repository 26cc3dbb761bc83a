import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { BUS, type Bus } from '@switchboard/bus';
import { Readiness } from '@switchboard/core';
import { Metrics } from '@switchboard/observability';
import type { HubEvent } from '@switchboard/protocol';
import { OUTBOX_STORE, type OutboxStore } from '../store/outbox.store';
import { OutboxRelay } from '../store/outbox-relay';

/**
 * Runs the outbox relay for this process: committed lifecycle events onto the bus.
 *
 * It publishes as soon as the change committed and the bus is up; it does not wait for
 * gateways to listen. A room's history (WEBSOCKET_HISTORY_SIZE / _TTL) covers the clients:
 * a gateway that was re-subscribing, or a client that joins later, gets the event by
 * resuming from its last offset. While the bus is down the relay waits: quietly, without
 * counting failures or opening a transaction.
 */
@Injectable()
export class OutboxPublisher implements OnModuleInit, OnApplicationShutdown {
  private readonly relay: OutboxRelay;

  constructor(
    @Inject(OUTBOX_STORE) store: OutboxStore,
    metrics: Metrics,
    @Inject(BUS) private readonly bus: Bus,
    private readonly readiness: Readiness,
  ) {
    metrics.trackOutbox(() => store.pending());
    this.relay = new OutboxRelay(store, (topic, payload) => this.bus.publish(topic, payload as HubEvent), {
      logger: new Logger('Outbox'),
      ready: () => this.bus.isReady(),
    });
  }

  onModuleInit(): void {
    this.relay.start();
    this.readiness.register('outbox', () => {
      const h = this.relay.health();
      return h.ok || `publishing lifecycle events fails: ${h.lastError ?? 'unknown error'}`;
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.relay.stop();
  }

  kick(): void {
    this.relay.kick();
  }
}
