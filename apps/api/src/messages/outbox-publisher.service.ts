import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { BUS, type Bus } from '@switchboard/bus';
import { CONFIG, type SwitchboardConfig } from '@switchboard/config';
import { Readiness } from '@switchboard/core';
import { Metrics } from '@switchboard/observability';
import { type HubEvent, Topics } from '@switchboard/protocol';
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
 *
 * A room's event is published once per event within WEBSOCKET_PUBLISH_DEDUP_WINDOW: a
 * publish that timed out but that Redis still ran is retried without a second delivery
 * (the event's own bytes, which carry its time, name it).
 */
@Injectable()
export class OutboxPublisher implements OnModuleInit, OnApplicationShutdown {
  private readonly relay: OutboxRelay;

  constructor(
    @Inject(OUTBOX_STORE) store: OutboxStore,
    metrics: Metrics,
    @Inject(BUS) private readonly bus: Bus,
    private readonly readiness: Readiness,
    @Inject(CONFIG) config: SwitchboardConfig,
  ) {
    metrics.trackOutbox(() => store.pending());
    this.relay = new OutboxRelay(store, publishingOnce(bus, config.ws.publishDedupWindowMs), {
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

/**
 * How the relay publishes a row: a room's event once per event within `windowMs` (its bytes,
 * which carry its time, name it), so a retry of a publish that Redis ran is not delivered
 * twice; an event for another topic as it is.
 */
export function publishingOnce(bus: Bus, windowMs: number): (topic: string, payload: unknown) => Promise<unknown> {
  return (topic, payload) => {
    if (Topics.roomOf(topic) === undefined) return bus.publish(topic, payload as HubEvent);
    const id = createHash('sha256').update(JSON.stringify(payload)).digest('base64url');
    return bus.publishOnce(topic, payload as HubEvent, { key: Topics.publishOnce(topic, 'outbox', id), windowMs });
  };
}
