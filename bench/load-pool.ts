import { ClientProcess } from './client-process';
import { LatencyHistogram } from './histogram';
import { firstOf, sumByKey, sumCounts } from './sum';
import { type ClientMode, type ClientPlan, type LoadCommand, type LoadEvent, type LoadReport, nowMs, type RoomPlan } from './load-protocol';

type EventOf<K extends LoadEvent['ev']> = Extract<LoadEvent, { ev: K }>;

/** A process whose last progress report is more recent than this is reporting (they come every 250 ms). */
const REPORTING_MS = 1_500;

/** One forked load-client process and what its progress reports said. */
class LoadProcess {
  readonly client: ClientProcess<LoadCommand, LoadEvent>;
  deliveries = 0;
  lastDeliveryAt = 0;
  /** When the last progress report arrived, and the last one that showed more deliveries (orchestrator clock). */
  lastReportAt = 0;
  lastProgressAt = 0;
  complete = false;

  constructor(readonly index: number) {
    // BENCH_CLIENT_CPU_PROF=<dir>: V8 CPU profiles of the load clients (to see what keeps them busy).
    const profDir = process.env.BENCH_CLIENT_CPU_PROF;
    this.client = new ClientProcess(`load client ${index}`, 'load-client.js', profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir] : []);
    this.client.listen((e) => this.onEvent(e));
  }

  get failure(): Error | undefined {
    return this.client.failure;
  }

  send(cmd: LoadCommand): void {
    this.client.send(cmd);
  }

  ask<K extends LoadEvent['ev']>(cmd: LoadCommand, ev: K, timeoutMs: number): Promise<EventOf<K>> {
    return this.client.ask(cmd, ev, timeoutMs);
  }

  close(): Promise<void> {
    return this.client.close({ cmd: 'close' }, 5_000);
  }

  private onEvent(e: LoadEvent): void {
    if (e.ev !== 'progress' && e.ev !== 'complete') return;
    this.lastReportAt = Date.now();
    if (e.deliveries !== this.deliveries) this.lastProgressAt = this.lastReportAt;
    this.deliveries = e.deliveries;
    this.lastDeliveryAt = e.lastDeliveryAt;
    if (e.ev === 'complete') this.complete = true;
  }
}

export interface ConnectOptions {
  mode: ClientMode;
  clients: number;
  /** Where the `index`th client (of all) connects, named `name`, and which room (index into `rooms`) it is in. */
  place: (name: string, index: number) => Omit<ClientPlan, 'name'>;
  /** The rooms messages go to (none for idle connections). */
  rooms: RoomPlan[];
  batch: number;
  readyOn: 'open' | 'user_list' | 'connect';
  timeoutMs: number;
}

export interface ConnectResult {
  connected: number;
  failed: number;
  firstFailure?: string;
  ms: number;
}

/** How a run ended. */
export interface RunOutcome {
  complete: boolean;
  /** Why the wait stopped, when not complete. */
  reason?: string;
  /** Messages the senders handed to their sockets. */
  sent: number;
  firstSendAt: number;
  lastSendAt: number;
  backpressureWaits: number;
  /** How far behind its schedule a paced sender fell at worst (ms). */
  behindMs: number;
}

/** The merged accounting of every load process. */
export interface PoolReport extends Omit<LoadReport, 'latency'> {
  latency: LatencyHistogram;
  /** CPU of each load process during the run, µs. */
  clientCpuMicros: number[];
}

/**
 * Several load-client processes acting as one population of clients. Client `index` (of
 * all) is named `u<index>`; process i holds the i-th contiguous block of them.
 */
export class LoadPool {
  private readonly procs: LoadProcess[];

  constructor(processes: number) {
    this.procs = Array.from({ length: processes }, (_, i) => new LoadProcess(i));
  }

  static clientName(index: number): string {
    return `u${index}`;
  }

  /** Opens `clients` clients spread over the processes, each paced in batches. */
  async connect(o: ConnectOptions): Promise<ConnectResult> {
    const n = this.procs.length;
    const batch = Math.max(1, Math.ceil(o.batch / n));
    let index = 0;
    const waits = this.procs.map((p, i) => {
      const count = Math.floor(o.clients / n) + (i < o.clients % n ? 1 : 0);
      const clients = Array.from({ length: count }, () => {
        const name = LoadPool.clientName(index);
        return { name, ...o.place(name, index++) };
      });
      return p.ask({ cmd: 'connect', mode: o.mode, clients, rooms: o.rooms, batch, readyOn: o.readyOn }, 'ready', o.timeoutMs);
    });
    const results = await Promise.all(waits);
    return {
      connected: results.reduce((s, r) => s + r.connected, 0),
      failed: results.reduce((s, r) => s + r.failed, 0),
      firstFailure: results.find((r) => r.firstFailure)?.firstFailure,
      ms: Math.max(...results.map((r) => r.ms)),
    };
  }

  /**
   * Arms every process, has the senders send `total` messages (see the `send` command), and
   * waits until every client has every message of its room, or deliveries stall, or `capMs`
   * passes. Stalled: every process still waiting keeps reporting, and none of their reports
   * showed a new delivery for `stallMs`. A process that does not report at all is busy (a
   * saturated client blocks its event loop for seconds), not stalled: only the cap ends that.
   */
  async run(total: number, payloadBytes: number, rate: number, stallMs: number, capMs: number, ids = false): Promise<RunOutcome> {
    const armedAt = Date.now();
    for (const p of this.procs) {
      p.lastReportAt = p.lastProgressAt = armedAt;
      p.send({ cmd: 'arm' });
    }
    // Paced senders in several processes keep one schedule from a common start.
    const startAt = nowMs() + (rate > 0 ? 100 : 0);
    const sends = this.procs.map((p) => p.ask({ cmd: 'send', total, payloadBytes, rate, startAt, ids }, 'sent', capMs));
    const started = Date.now();
    let sentEvents: Array<EventOf<'sent'>> | undefined;
    const allSent = Promise.all(sends);
    void allSent.then((e) => (sentEvents = e)).catch(() => undefined);
    const outcome = (complete: boolean, events: Array<EventOf<'sent'>>, reason?: string): RunOutcome => {
      const senders = events.filter((e) => e.sent > 0);
      return {
        complete,
        reason,
        sent: senders.reduce((s, e) => s + e.sent, 0),
        firstSendAt: Math.min(...senders.map((e) => e.firstSendAt)),
        lastSendAt: Math.max(...senders.map((e) => e.lastSendAt)),
        backpressureWaits: senders.reduce((s, e) => s + e.backpressureWaits, 0),
        behindMs: Math.max(0, ...senders.map((e) => e.behindMs)),
      };
    };
    for (;;) {
      await new Promise((r) => setTimeout(r, 20));
      // Let IPC that arrived while this process was descheduled land before judging progress.
      await new Promise((r) => setImmediate(r));
      if (sentEvents && this.procs.every((p) => p.complete)) return outcome(true, sentEvents);
      const now = Date.now();
      const waiting = this.procs.filter((p) => !p.complete);
      const stalled = waiting.length > 0 && waiting.every((p) => now - p.lastReportAt < REPORTING_MS && now - p.lastProgressAt > stallMs);
      const failed = this.procs.find((p) => p.failure)?.failure;
      const reason = failed
        ? failed.message
        : stalled
          ? `no delivery for ${stallMs}ms`
          : now - started > capMs
            ? `not done within ${capMs}ms`
            : undefined;
      if (reason) {
        const where = this.procs
          .map((p) => `client process ${p.index}: ${p.complete ? 'complete' : `${p.deliveries} delivered, last delivery ${Math.round(nowMs() - p.lastDeliveryAt)} ms ago, last report ${now - p.lastReportAt} ms ago`}`)
          .join('; ');
        return outcome(false, sentEvents ?? (await allSent), `${reason}; ${where}`);
      }
    }
  }

  async report(timeoutMs = 15_000): Promise<PoolReport> {
    const reports = await Promise.all(this.procs.map((p) => p.ask({ cmd: 'report' }, 'report', timeoutMs)));
    const rs = reports.map((e) => e.report);
    const latency = new LatencyHistogram();
    for (const r of rs) latency.merge(r.latency);
    const firstDeliveries = rs.map((r) => r.firstDeliveryAt).filter((at) => at > 0);
    return {
      ...sumCounts(rs, ['clients', 'deliveries', 'expected', 'lost', 'duplicated', 'reordered', 'lossyClients', 'shapeErrors', 'acks', 'errorFrames', 'cpuMicros']),
      firstLoss: firstOf(rs.map((r) => r.firstLoss)),
      firstError: firstOf(rs.map((r) => r.firstError)),
      unexpectedCloses: sumByKey(rs.map((r) => r.unexpectedCloses)),
      firstDeliveryAt: Math.min(Infinity, ...firstDeliveries),
      lastDeliveryAt: Math.max(0, ...rs.map((r) => r.lastDeliveryAt)),
      maxLoopLagMs: Math.max(0, ...rs.map((r) => r.maxLoopLagMs)),
      clientCpuMicros: rs.map((r) => r.cpuMicros),
      latency,
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.procs.map((p) => p.close()));
  }
}
