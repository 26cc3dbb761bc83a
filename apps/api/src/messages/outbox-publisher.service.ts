import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { BUS, type Bus } from '../../../../libs/bus/src/bus';
import { Readiness } from '../../../../libs/core/src';
import { Metrics } from '../../../../libs/observability/src';
import { PRESENCE, type Presence } from '../../../../libs/presence/src/presence';
import { type HubEvent, Topics } from '../../../../libs/protocol/src';
import { OUTBOX_STORE, type OutboxStore } from '../store/outbox.store';
import { OutboxRelay } from '../store/outbox-relay';

/**
 * After a bus outage, how long an event may wait for the replicas that have members in its
 * room to be subscribed again before it is published anyway (presence may name a replica
 * that died and has not expired yet).
 */
const LISTENER_WAIT_MS = 10_000;
/** After the bus comes back, how long to hold events so the gateways can re-subscribe first. */
const RECOVERY_GRACE_MS = 3000;
/** How often the bus state is sampled to notice an outage nobody published during. */
const BUS_WATCH_MS = 200;

/**
 * Runs the outbox relay for this process: committed lifecycle events onto the bus.
 *
 * Pub/sub delivers only to whoever is subscribed at that instant, so after an outage the
 * api could publish before the gateways have re-subscribed and the event would reach
 * nobody. Before publishing to a room, it therefore checks that as many replicas listen to
 * the room's topic as presence says have members in it; if not, the publish is retried
 * (the row stays in the outbox) for up to LISTENER_WAIT_MS. And since presence itself may
 * have been lost with Redis' data, events wait RECOVERY_GRACE_MS after every outage, the
 * time the gateways need to reconnect, re-subscribe and restore their presence.
 */
@Injectable()
export class OutboxPublisher implements OnModuleInit, OnApplicationShutdown {
  private readonly relay: OutboxRelay;
  private waiting?: { key: string; since: number };
  private busUp = true;
  private upSince = 0;
  private watch?: NodeJS.Timeout;

  constructor(
    @Inject(OUTBOX_STORE) store: OutboxStore,
    metrics: Metrics,
    @Inject(BUS) private readonly bus: Bus,
    @Inject(PRESENCE) private readonly presence: Presence,
    private readonly readiness: Readiness,
  ) {
    metrics.outboxPending = () => store.pending();
    this.relay = new OutboxRelay(store, (topic, payload) => this.publish(topic, payload as HubEvent), { logger: new Logger('Outbox') });
  }

  onModuleInit(): void {
    this.watch = setInterval(() => this.watchBus(), BUS_WATCH_MS);
    this.watch.unref();
    this.relay.start();
    this.readiness.register('outbox', () => {
      const h = this.relay.health();
      return h.ok || `publishing lifecycle events fails: ${h.lastError ?? 'unknown error'}`;
    });
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.watch);
    await this.relay.stop();
  }

  kick(): void {
    this.relay.kick();
  }

  private watchBus(): void {
    const up = this.bus.isReady();
    if (up && !this.busUp) this.upSince = Date.now();
    this.busUp = up;
  }

  private async publish(topic: string, event: HubEvent): Promise<void> {
    this.watchBus();
    if (!this.busUp) throw new Error('bus not ready');
    const sinceRecovery = Date.now() - this.upSince;
    if (sinceRecovery < RECOVERY_GRACE_MS) throw new Error(`bus back ${sinceRecovery} ms ago; giving the gateways time to re-subscribe`);
    const room = Topics.roomOf(topic);
    if (room !== undefined) await this.awaitListeners(topic, room, `${topic}|${event.kind}|${event.ts}`);
    await this.bus.publish(topic, event);
  }

  private async awaitListeners(topic: string, room: string, key: string): Promise<void> {
    const [members, listening] = await Promise.all([this.presence.members(room), this.bus.listeners(topic)]);
    const expected = new Set(members.map((m) => m.nodeId)).size;
    if (listening >= expected) {
      this.waiting = undefined;
      return;
    }
    const now = Date.now();
    if (this.waiting?.key !== key) this.waiting = { key, since: now };
    if (now - this.waiting.since < LISTENER_WAIT_MS) {
      throw new Error(`${listening} of ${expected} replicas with members in "${room}" listen; waiting for them to re-subscribe`);
    }
    this.waiting = undefined;
  }
}
