import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { ended, track } from './children';
import { LatencyHistogram } from './histogram';
import type { LoadCommand, LoadEvent, LoadReport } from './load-protocol';

type EventOf<K extends LoadEvent['ev']> = Extract<LoadEvent, { ev: K }>;

/** One forked load-client process and the events it sends back. */
class LoadProcess {
  readonly proc: ChildProcess;
  deliveries = 0;
  lastDeliveryAt = 0;
  complete = false;
  private readonly waiters = new Map<string, Array<(e: LoadEvent) => void>>();
  private failure?: Error;
  private readonly onFailure = new Set<(err: Error) => void>();

  constructor(readonly index: number) {
    this.proc = track(fork(join(__dirname, 'load-client.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    this.proc.on('message', (e: LoadEvent) => this.onEvent(e));
    this.proc.once('exit', (code, signal) => this.fail(new Error(`load client ${index} exited (${code ?? signal})`)));
  }

  send(cmd: LoadCommand): void {
    if (this.proc.connected) this.proc.send(cmd);
  }

  /** The next event of a kind, or an error if the process fails or the wait times out. */
  next<K extends LoadEvent['ev']>(ev: K, timeoutMs: number): Promise<EventOf<K>> {
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      const done = (e: LoadEvent) => {
        clearTimeout(timer);
        this.onFailure.delete(onFail);
        resolve(e as EventOf<K>);
      };
      const onFail = (err: Error) => {
        clearTimeout(timer);
        reject(err);
      };
      const timer = setTimeout(() => {
        this.onFailure.delete(onFail);
        const list = this.waiters.get(ev) ?? [];
        list.splice(list.indexOf(done), 1);
        reject(new Error(`load client ${this.index}: no "${ev}" within ${timeoutMs}ms`));
      }, timeoutMs);
      this.onFailure.add(onFail);
      const list = this.waiters.get(ev) ?? [];
      list.push(done);
      this.waiters.set(ev, list);
    });
  }

  async close(): Promise<void> {
    this.send({ cmd: 'close' });
    await ended(this.proc, 5_000);
  }

  private onEvent(e: LoadEvent): void {
    if (e.ev === 'progress' || e.ev === 'complete') {
      this.deliveries = e.deliveries;
      this.lastDeliveryAt = e.lastDeliveryAt;
      if (e.ev === 'complete') this.complete = true;
    }
    if (e.ev === 'fatal') return this.fail(new Error(`load client ${this.index}: ${e.error}`));
    const list = this.waiters.get(e.ev);
    list?.shift()?.(e);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const f of this.onFailure) f(err);
    this.onFailure.clear();
  }
}

export interface ConnectOptions {
  /** The URL of client `name`, the `index`th of all clients. */
  url: (name: string, index: number) => string;
  clients: number;
  batch: number;
  readyOn: 'open' | 'user_list';
  room: string;
  messages: number;
  timeoutMs: number;
}

export interface ConnectResult {
  connected: number;
  failed: number;
  firstFailure?: string;
  ms: number;
}

/** How a fan-out run ended. */
export interface RunOutcome {
  complete: boolean;
  /** Why the wait stopped, when not complete. */
  reason?: string;
  firstSendAt: number;
  lastSendAt: number;
  backpressureWaits: number;
}

/** The merged accounting of every load process. */
export interface PoolReport extends Omit<LoadReport, 'latency'> {
  latency: LatencyHistogram;
  /** CPU of each load process during the run, µs. */
  clientCpuMicros: number[];
}

/**
 * Several load-client processes acting as one population of clients. Client `c0-0`, the
 * first of process 0, is the sender.
 */
export class LoadPool {
  private readonly procs: LoadProcess[];
  readonly sender = 'c0-0';

  constructor(processes: number) {
    this.procs = Array.from({ length: processes }, (_, i) => new LoadProcess(i));
  }

  /** Opens `clients` clients spread over the processes, each paced in batches. */
  async connect(o: ConnectOptions): Promise<ConnectResult> {
    const n = this.procs.length;
    const batch = Math.max(1, Math.ceil(o.batch / n));
    let index = 0;
    const waits = this.procs.map((p, i) => {
      const count = Math.floor(o.clients / n) + (i < o.clients % n ? 1 : 0);
      const clients = Array.from({ length: count }, (_, j) => {
        const name = `c${i}-${j}`;
        return { name, url: o.url(name, index++) };
      });
      const ready = p.next('ready', o.timeoutMs);
      p.send({ cmd: 'connect', clients, batch, readyOn: o.readyOn, room: o.room, messages: o.messages, sender: this.sender });
      return ready;
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
   * Arms every process, has the sender send, and waits until every client has every
   * message, or deliveries stop progressing for `stallMs`, or `capMs` passes.
   */
  async run(messages: number, payloadBytes: number, rate: number, stallMs: number, capMs: number): Promise<RunOutcome> {
    for (const p of this.procs) p.send({ cmd: 'arm' });
    const sent = this.procs[0].next('sent', capMs);
    this.procs[0].send({ cmd: 'send', messages, payloadBytes, rate });
    const started = Date.now();
    let last = -1;
    let lastChange = Date.now();
    let sentEvent: EventOf<'sent'> | undefined;
    void sent.then((e) => (sentEvent = e)).catch(() => undefined);
    for (;;) {
      await new Promise((r) => setTimeout(r, 20));
      const total = this.procs.reduce((s, p) => s + p.deliveries, 0);
      if (total !== last) {
        last = total;
        lastChange = Date.now();
      }
      if (sentEvent && this.procs.every((p) => p.complete)) break;
      const reason =
        Date.now() - lastChange > stallMs ? `no delivery for ${stallMs}ms` : Date.now() - started > capMs ? `not done within ${capMs}ms` : undefined;
      if (reason) {
        const e = sentEvent ?? (await sent);
        return { complete: false, reason, firstSendAt: e.firstSendAt, lastSendAt: e.lastSendAt, backpressureWaits: e.backpressureWaits };
      }
    }
    return { complete: true, firstSendAt: sentEvent.firstSendAt, lastSendAt: sentEvent.lastSendAt, backpressureWaits: sentEvent.backpressureWaits };
  }

  async report(timeoutMs = 15_000): Promise<PoolReport> {
    const reports = await Promise.all(
      this.procs.map((p) => {
        const r = p.next('report', timeoutMs);
        p.send({ cmd: 'report' });
        return r;
      }),
    );
    const latency = new LatencyHistogram();
    const merged: PoolReport = {
      clients: 0,
      deliveries: 0,
      expected: 0,
      lost: 0,
      duplicated: 0,
      reordered: 0,
      shapeErrors: 0,
      errorFrames: 0,
      unexpectedCloses: {},
      firstDeliveryAt: Infinity,
      lastDeliveryAt: 0,
      cpuMicros: 0,
      clientCpuMicros: [],
      latency,
    };
    for (const { report: r } of reports) {
      merged.clients += r.clients;
      merged.deliveries += r.deliveries;
      merged.expected += r.expected;
      merged.lost += r.lost;
      merged.duplicated += r.duplicated;
      merged.reordered += r.reordered;
      merged.shapeErrors += r.shapeErrors;
      merged.errorFrames += r.errorFrames;
      merged.firstError ??= r.firstError;
      for (const [code, n] of Object.entries(r.unexpectedCloses)) merged.unexpectedCloses[code] = (merged.unexpectedCloses[code] ?? 0) + n;
      if (r.firstDeliveryAt > 0) merged.firstDeliveryAt = Math.min(merged.firstDeliveryAt, r.firstDeliveryAt);
      merged.lastDeliveryAt = Math.max(merged.lastDeliveryAt, r.lastDeliveryAt);
      merged.cpuMicros += r.cpuMicros;
      merged.clientCpuMicros.push(r.cpuMicros);
      latency.merge(r.latency);
    }
    return merged;
  }

  async close(): Promise<void> {
    await Promise.all(this.procs.map((p) => p.close()));
  }
}
