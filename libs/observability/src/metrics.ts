import { Logger } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Switchboard's Prometheus metrics, one registry per process. Hot paths count once per
 * event (with the number of recipients), never once per recipient.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly connections = new Gauge({
    name: 'switchboard_connections',
    help: 'Open client connections on this replica, by dialect and transport (websocket, sse)',
    labelNames: ['dialect', 'transport'] as const,
    registers: [this.registry],
  });
  readonly connects = new Counter({ name: 'switchboard_connects_total', help: 'Accepted client connections, by dialect and transport', labelNames: ['dialect', 'transport'] as const, registers: [this.registry] });
  readonly refused = new Counter({
    name: 'switchboard_handshakes_refused_total',
    help: 'Upgrades and SSE streams answered with an HTTP error, by status and transport (unknown: cut off before its request head was complete)',
    labelNames: ['status', 'transport'] as const,
    registers: [this.registry],
  });
  readonly disconnects = new Counter({ name: 'switchboard_disconnects_total', help: 'Closed connections by reason and transport', labelNames: ['reason', 'transport'] as const, registers: [this.registry] });
  readonly uplinks = new Counter({
    name: 'switchboard_sse_uplinks_total',
    help: 'SSE uplink POSTs by how they were answered: local (the session is here), forwarded (over the bus to its replica), or the refusal status',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly httpRefused = new Counter({
    name: 'switchboard_http_refused_total',
    help: 'HTTP requests refused before any route ran, by reason (pending_bodies_per_ip: too many bodies still arriving from one address)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly connectionDuration = new Histogram({
    name: 'switchboard_connection_duration_seconds',
    help: 'How long connections stayed open',
    buckets: [1, 10, 60, 300, 1800, 3600, 21600, 86400],
    registers: [this.registry],
  });
  readonly framesIn = new Counter({ name: 'switchboard_frames_in_total', help: 'Client frames received by type', labelNames: ['type'] as const, registers: [this.registry] });
  readonly framesOut = new Counter({ name: 'switchboard_frames_out_total', help: 'Frames sent to clients by event type', labelNames: ['type'] as const, registers: [this.registry] });
  readonly bytesIn = new Counter({ name: 'switchboard_bytes_in_total', help: 'Payload bytes received from clients', registers: [this.registry] });
  readonly bytesOut = new Counter({ name: 'switchboard_bytes_out_total', help: 'Frame payload bytes (the JSON text) queued to clients', registers: [this.registry] });
  readonly errors = new Counter({ name: 'switchboard_errors_total', help: 'Errors by kind (error frames sent, closes, bus failures)', labelNames: ['kind'] as const, registers: [this.registry] });
  readonly joins = new Counter({ name: 'switchboard_joins_total', help: 'Room joins that took effect, by how the room was joined (chat, hub, channel, signaling)', labelNames: ['style'] as const, registers: [this.registry] });
  readonly rooms = new Gauge({ name: 'switchboard_rooms', help: 'Rooms with at least one member on this replica', registers: [this.registry] });
  readonly roomOccupancy = new Histogram({
    name: 'switchboard_room_occupancy',
    help: 'Local members of the room an event was fanned out to',
    buckets: [1, 2, 5, 10, 50, 100, 500, 1000, 5000],
    registers: [this.registry],
  });
  readonly busPublished = new Counter({ name: 'switchboard_bus_published_total', help: 'Events published to the bus', registers: [this.registry] });
  readonly busDelivered = new Counter({ name: 'switchboard_bus_delivered_total', help: 'Events received from the bus', labelNames: ['topic_kind'] as const, registers: [this.registry] });
  readonly busBytesIn = new Counter({ name: 'switchboard_bus_bytes_in_total', help: 'Bytes received from the bus', labelNames: ['topic_kind'] as const, registers: [this.registry] });
  readonly busLatency = new Histogram({
    name: 'switchboard_bus_latency_seconds',
    help: 'Publish-to-delivery latency of bus events',
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly busPublishLatency = new Histogram({
    name: 'switchboard_bus_publish_seconds',
    help: 'Time from publish until the bus accepted the event (a Redis round trip in a cluster)',
    buckets: [0.0001, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly busErrors = new Counter({ name: 'switchboard_bus_errors_total', help: 'Bus failures (publish or subscribe rejected)', labelNames: ['op'] as const, registers: [this.registry] });
  readonly busDropped = new Counter({ name: 'switchboard_bus_dropped_total', help: 'Bus input dropped: malformed, unrouted, or a repeated room event (repeat)', labelNames: ['reason'] as const, registers: [this.registry] });
  readonly subscriptions = new Gauge({ name: 'switchboard_bus_subscriptions', help: 'Bus topics this replica subscribes to', registers: [this.registry] });
  readonly signalingResumes = new Counter({ name: 'switchboard_signaling_resumes_total', help: 'Signaling peers that resumed their id and rooms after a lost connection', registers: [this.registry] });
  readonly resumes = new Counter({ name: 'switchboard_resumes_total', help: 'Joins with since, by whether the missed messages could be replayed (true, false), or refused for want of a valid resume token', labelNames: ['recovered'] as const, registers: [this.registry] });
  readonly replayed = new Counter({ name: 'switchboard_replayed_total', help: 'Missed room events sent to resuming clients from the history', registers: [this.registry] });
  readonly presenceSize = new Gauge({ name: 'switchboard_presence_members', help: 'Room memberships this replica holds in presence', registers: [this.registry] });

  /** Set by CoreModule: each readiness check's state, read at each scrape. */
  readinessProbe?: () => Promise<Record<string, true | string>>;
  readonly ready = new Gauge({
    name: 'switchboard_ready',
    help: '1 while /health/ready answers 200 (every check up and not draining), else 0',
    registers: [this.registry],
    collect: (): Promise<void> => this.probe('ready', () => this.collectReadiness(), this.readinessProbe),
  });
  readonly readyCheck = new Gauge({ name: 'switchboard_ready_check', help: 'Each readiness check: 1 up, 0 down', labelNames: ['check'] as const, registers: [this.registry] });
  readonly scrapeErrors = new Counter({ name: 'switchboard_metric_probe_errors_total', help: 'Metric probes that failed at scrape time', labelNames: ['metric'] as const, registers: [this.registry] });

  private readonly logger = new Logger('Metrics');

  constructor(defaults = true) {
    if (defaults) collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 20 });
  }

  /**
   * Registers `switchboard_outbox_backlog`, `pending()` (rows waiting in the outbox) read at
   * each scrape. Only the api calls it: a gateway has no outbox and does not export the gauge.
   */
  trackOutbox(pending: () => Promise<number>): void {
    const gauge: Gauge = new Gauge({
      name: 'switchboard_outbox_backlog',
      help: 'Lifecycle events written but not yet published to the bus (api)',
      registers: [this.registry],
      collect: (): Promise<void> => this.probe('outbox_backlog', async () => gauge.set(await pending()), pending),
    });
  }

  private async collectReadiness(): Promise<void> {
    const checks = await this.readinessProbe!();
    let all = 1;
    for (const [name, state] of Object.entries(checks)) {
      this.readyCheck.labels(name).set(state === true ? 1 : 0);
      if (state !== true) all = 0;
    }
    this.ready.set(all);
  }

  /** Runs a scrape-time probe when it is wired; a failure is logged at warn and counted, never fails the scrape. */
  private async probe(metric: string, run: () => Promise<void>, wired: unknown): Promise<void> {
    if (!wired) return;
    try {
      await run();
    } catch (err) {
      this.scrapeErrors.labels(metric).inc();
      this.logger.warn({ msg: 'metric probe failed; the metric keeps its last value', metric, error: (err as Error).message });
    }
  }
}
