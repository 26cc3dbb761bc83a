import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { BUS, type Bus } from '../../../../libs/bus/src/bus';
import { Readiness } from '../../../../libs/core/src';
import type { HubEvent } from '../../../../libs/protocol/src';
import { OUTBOX_STORE, type OutboxStore } from '../store/outbox.store';
import { OutboxRelay } from '../store/outbox-relay';

/** Runs the outbox relay for this process: committed lifecycle events onto the bus. */
@Injectable()
export class OutboxPublisher implements OnModuleInit, OnApplicationShutdown {
  private readonly relay: OutboxRelay;

  constructor(
    @Inject(OUTBOX_STORE) store: OutboxStore,
    @Inject(BUS) bus: Bus,
    private readonly readiness: Readiness,
  ) {
    this.relay = new OutboxRelay(store, (topic, payload) => bus.publish(topic, payload as HubEvent), { logger: new Logger('Outbox') });
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
