import { ClientProcess } from './client-process';
import { LatencyHistogram } from './histogram';
import { firstOf, sumByKey, sumCounts } from './sum';
import type { ReadyOn, ScaleClientPlan, ScaleCommand, ScaleEvent, ScaleMode, ScaleReport } from './scale-protocol';

type EventOf<K extends ScaleEvent['ev']> = Extract<ScaleEvent, { ev: K }>;

/**
 * Several scale-client processes holding one population of connections. A process may open
 * ~20,000 files here; the size scenarios give each at most 6,000 connections (PER_PROCESS in
 * scale.ts, so the clients' own work does not set the pace): N take ⌈N / 6,000⌉ processes at least.
 */
export class ScalePool {
  private readonly procs: Array<ClientProcess<ScaleCommand, ScaleEvent>>;
  private readonly closedListeners: Array<(proc: number, e: EventOf<'closed'>) => void> = [];

  constructor(processes: number) {
    this.procs = Array.from({ length: processes }, (_, i) => {
      const proc = new ClientProcess<ScaleCommand, ScaleEvent>(`scale client ${i}`, 'scale-client.js');
      proc.listen((e) => {
        if (e.ev === 'closed') for (const l of this.closedListeners) l(i, e);
      });
      return proc;
    });
  }

  get size(): number {
    return this.procs.length;
  }

  send(proc: number, cmd: ScaleCommand): void {
    this.procs[proc].send(cmd);
  }

  /** Sends process `proc` a command and waits for its answer; rejects at once if that process fails. */
  ask<K extends ScaleEvent['ev']>(proc: number, cmd: ScaleCommand, ev: K, timeoutMs: number): Promise<EventOf<K>> {
    return this.procs[proc].ask(cmd, ev, timeoutMs);
  }

  onClosed(listener: (proc: number, e: EventOf<'closed'>) => void): void {
    this.closedListeners.push(listener);
  }

  /**
   * Opens `plans` spread in contiguous blocks over the first `over` processes (client i of
   * all goes to process ⌊i·P/N⌋), `window` handshakes in flight in all. Returns
   * connected/failed counts and first handshake start → last ready (wall clock).
   */
  async open(mode: ScaleMode, plans: ScaleClientPlan[], localAddresses: string[], window: number, readyOn: ReadyOn, timeoutMs: number, over = this.procs.length) {
    const n = over;
    const blocks = Array.from({ length: n }, (_, p) => plans.slice(Math.floor((p * plans.length) / n), Math.floor(((p + 1) * plans.length) / n)));
    const opened = await Promise.all(
      blocks.map((clients, p) => this.procs[p].ask({ cmd: 'open', mode, clients, localAddresses, window: Math.max(1, Math.ceil(window / n)), readyOn }, 'opened', timeoutMs)),
    );
    const busy = opened.filter((o) => o.connected + o.failed > 0);
    const startAt = Math.min(...busy.map((o) => o.firstStartAt));
    return {
      connected: opened.reduce((s, o) => s + o.connected, 0),
      failed: opened.reduce((s, o) => s + o.failed, 0),
      firstFailure: opened.find((o) => o.firstFailure)?.firstFailure,
      startAt,
      ms: Math.max(...busy.map((o) => o.lastReadyAt)) - startAt,
      userListBytes: opened.reduce((s, o) => s + o.userListBytes, 0),
      /** Every client's ready time (wall ms), all processes, in order. */
      readyTimes: opened.flatMap((o) => o.readyTimes).sort((a, b) => a - b),
      /** Where client i of this call is: process and index within it. */
      blocks: blocks.map((b) => b.length),
    };
  }

  /** Every process's report, merged. */
  async report(timeoutMs = 15_000): Promise<ScaleReport & { perProcess: ScaleReport[] }> {
    const reports = await Promise.all(this.procs.map((p) => p.ask({ cmd: 'report' }, 'report', timeoutMs)));
    const rs = reports.map((e) => e.report);
    const pings = new LatencyHistogram();
    const probe = new LatencyHistogram();
    for (const r of rs) {
      pings.merge(r.pingIntervals);
      probe.merge(r.probeLatency);
    }
    return {
      ...sumCounts(rs, ['clients', 'clientsWithMessage', 'clientsWithPingInterval', 'clientsWithoutPingInterval', 'messages', 'errorFrames']),
      userList: rs.reduce<ScaleReport['userList']>((last, r) => r.userList ?? last, undefined),
      pingIntervals: pings,
      probeLatency: probe,
      closes: sumByKey(rs.map((r) => r.closes)),
      firstError: firstOf(rs.map((r) => r.firstError)),
      perProcess: rs,
    };
  }

  broadcast(cmd: ScaleCommand): void {
    for (let p = 0; p < this.procs.length; p++) this.send(p, cmd);
  }

  async close(): Promise<void> {
    await Promise.all(this.procs.map((proc) => proc.close({ cmd: 'close' }, 10_000)));
  }
}
