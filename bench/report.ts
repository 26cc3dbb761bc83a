import type { FanOutResult, IdleResult, RunResult } from './scenarios';
import type { UplinkResult } from './sse-uplink';

/** The aims the gateway is held to; each is printed with the measured figure and PASS/MISS. */
export const AIMS = {
  cpuPerDeliveryMicros: 1.5,
  peakRssMB: 150,
  idleKBPerConnection: 10,
  /** Cluster scenarios: the gateway's server CPU per delivery at least this many times lower than Socket.IO's. */
  cpuVsSocketIo: 3,
  /** rooms-2r (paced): the gateway's p99 latency below this, at every write delay (issue 9). */
  roomsP99Ms: 5,
  /** sse-2r: server CPU per delivery to SSE receivers at most this many times a WebSocket receiver's (issue 19). */
  sseCpuVsWebSocket: 1.5,
  /** sse-2r: an SSE uplink round trip's p99 at most this many times a WebSocket frame's (issue 19). */
  uplinkP99VsWebSocket: 2,
  /** acks-2r: CPU per published message with a publish id (ack + dedup) at most this much more than without (issue 17). */
  acksExtraCpu: 0.15,
};

const MB = 1024 * 1024;

export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const fixed = (n: number, digits: number) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');

export function fanOutTable(results: FanOutResult[]): string {
  return table(
    ['target', 'deliveries', 'deliveries/s', 'srv CPU µs/deliv', 'sys %', 'writes/deliv', 'peak RSS MB', 'lost', 'dup', 'reord', 'p50 ms', 'p99 ms', 'max ms', 'run s', 'send s', 'client CPU s', 'others cores'],
    results.map((r) => [
      r.target + (r.complete ? '' : ' (INCOMPLETE)'),
      `${int(r.deliveries)}/${int(r.expected)}`,
      int(r.deliveriesPerSec),
      fixed(r.cpuPerDeliveryMicros, 3),
      sysPercent(r),
      fixed(r.serverWriteSyscalls / r.deliveries, 3),
      fixed(r.peakRssBytes / MB, 1),
      ...outcomeCells(r),
      fixed(r.sendMs / 1000, 2),
      r.clientCpuMicros.map((c) => fixed(c / 1e6, 1)).join('+'),
      fixed(r.otherProcessesCores, 2),
    ]),
  );
}

export function idleTable(results: IdleResult[]): string {
  return table(
    ['target', 'case', 'connected', 'RSS before MB', 'RSS after MB', 'KB/connection', 'connect s'],
    results.map((r) => [
      r.target,
      r.scenario === 'idle-room' ? `in rooms of ${r.roomSize}` : r.target === 'switchboard' ? 'no room (/ws)' : 'plain ws',
      `${int(r.connected)}/${int(r.clients)}`,
      fixed(r.rssBeforeBytes / MB, 1),
      fixed(r.rssAfterBytes / MB, 1),
      fixed(r.rssPerConnectionKB, 2),
      fixed(r.connectMs / 1000, 1),
    ]),
  );
}

/** The two-replica scenarios: both replicas' CPU summed, Redis' apart; RSS per replica. */
export function clusterTable(results: RunResult[]): string {
  return table(
    [
      'target',
      'deliveries',
      'deliveries/s',
      'srv CPU µs/deliv',
      'replica CPU s',
      'sys %',
      'writes/deliv',
      'redis CPU µs/deliv',
      'peak RSS MB',
      'lost',
      'dup',
      'reord',
      'p50 ms',
      'p99 ms',
      'max ms',
      'run s',
      'sent msg/s',
      'client CPU s',
      'others cores',
      'GC: scavenges, mark-compacts (ms)',
      'loop delay max ms',
    ],
    results.map((r) => [
      label(r) + (r.complete ? '' : ' (INCOMPLETE)'),
      `${int(r.deliveries)}/${int(r.expected)}`,
      int(r.deliveriesPerSec),
      fixed(r.cpuPerDeliveryMicros, 3),
      r.replicaCpuMicros.map((c) => fixed(c / 1e6, 2)).join('+'),
      sysPercent(r),
      fixed(r.serverWriteSyscalls / r.deliveries, 3),
      fixed(r.redisCpuPerDeliveryMicros ?? NaN, 3),
      r.replicaPeakRssBytes.map((b) => fixed(b / MB, 0)).join('+'),
      ...outcomeCells(r),
      int(r.sendMs > 0 ? (r.sent - 1) / (r.sendMs / 1000) : NaN),
      r.clientCpuMicros.map((c) => fixed(c / 1e6, 1)).join('+'),
      fixed(r.otherProcessesCores, 2),
      ...gcCells(r),
    ]),
  );
}

/** The gateway's collections in the window (every replica) and its longest event-loop delay; n/a for the other servers. */
function gcCells(r: RunResult): string[] {
  const gc = r.gatewayGc;
  if (!gc) return ['n/a', 'n/a'];
  return [`${int(gc.scavenges)} (${fixed(gc.scavengeMs, 0)}), ${int(gc.markCompacts)} (${fixed(gc.markCompactMs, 0)})`, fixed(gc.loopDelayMaxMs, 0)];
}

/** Lost, duplicated and reordered messages, the latency percentiles and the run's length: the columns every delivery table shares. */
function outcomeCells(r: RunResult): string[] {
  const { p50, p99, max } = r.latencyMs;
  return [int(r.lost), int(r.duplicated), int(r.reordered), fixed(p50, 1), fixed(p99, 1), fixed(max, 1), fixed(r.durationMs / 1000, 2)];
}

/** The ping round trips of each uplink path (sse-2r). */
export function uplinkTable(u: UplinkResult): string {
  return table(
    ['frame', 'path', 'round trips', 'p50 ms', 'p99 ms', 'max ms'],
    u.paths.map((p) => [p.frame, p.path, int(p.samples), fixed(p.p50, 2), fixed(p.p99, 2), fixed(p.max, 2)]),
  );
}

/** The target, with the gateway's write delay when the run set one (rooms-2r) and the receivers' transport (sse-2r). */
function label(r: RunResult): string {
  if (r.receivers !== undefined) return `${r.target} (${r.receivers} receivers)`;
  if (r.ids !== undefined) return `${r.target} (${r.ids ? 'with' : 'without'} publish ids)`;
  const history = r.scenario === 'fanout-2r-nohistory' ? ' (history off)' : '';
  return r.writeDelayMs === undefined ? r.target + history : `${r.target}${history} (write delay ${r.writeDelayMs} ms)`;
}

/** The kernel's share of the servers' CPU. */
function sysPercent(r: RunResult): string {
  return r.serverCpuMicros > 0 ? fixed((100 * r.serverSystemMicros) / r.serverCpuMicros, 0) : 'n/a';
}

const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');

/**
 * The cluster aims, for the gateway: no loss or duplication (every target is shown), server
 * CPU per delivery at least `AIMS.cpuVsSocketIo`× lower than Socket.IO's, and p99 latency of
 * the paced rooms run no worse than Socket.IO's. A comparison with a side not measured is n/a.
 */
export function clusterAims(results: RunResult[], roomsRate: number): string[][] {
  const rows: string[][] = [];
  const find = (scenario: RunResult['scenario'], target: RunResult['target']) => results.find((r) => r.scenario === scenario && r.target === target);
  for (const r of results) {
    const ok = r.complete && r.lost === 0 && r.duplicated === 0;
    const measured = `lost ${int(r.lost)}, dup ${int(r.duplicated)}${r.complete ? '' : ', incomplete'}`;
    rows.push([`no message lost or duplicated (${r.scenario})`, label(r), measured, verdict(ok)]);
  }
  const [plain, acked] = [false, true].map((ids) => results.find((r) => r.scenario === 'acks-2r' && r.ids === ids));
  if (plain && acked) {
    const extra = publishCostMicros(acked) / publishCostMicros(plain) - 1;
    const measured = `${fixed(publishCostMicros(acked), 1)} vs ${fixed(publishCostMicros(plain), 1)} µs (${extra >= 0 ? '+' : ''}${fixed(extra * 100, 1)} %), ${int(acked.acks)} acks of ${int(acked.messages)}`;
    rows.push([`a publish id (ack + dedup) costs ≤ ${AIMS.acksExtraCpu * 100} % more CPU per published message (acks-2r)`, 'switchboard', measured, verdict(extra <= AIMS.acksExtraCpu && acked.acks === acked.messages)]);
  }
  const withHistory = find('fanout-2r', 'switchboard');
  const without = find('fanout-2r-nohistory', 'switchboard');
  if (withHistory && without) {
    const extra = withHistory.cpuPerDeliveryMicros / without.cpuPerDeliveryMicros - 1;
    const measured = `${fixed(withHistory.cpuPerDeliveryMicros, 3)} vs ${fixed(without.cpuPerDeliveryMicros, 3)} µs (${extra >= 0 ? '+' : ''}${fixed(extra * 100, 1)} %)`;
    rows.push(['history on costs ≤ 10 % more server CPU per delivery (fanout-2r)', 'switchboard', measured, verdict(extra <= 0.1)]);
  }
  for (const scenario of ['fanout-2r', 'rooms-2r'] as const) {
    const sio = find(scenario, 'socketio');
    // One row per gateway run (rooms-2r runs it at each write delay).
    const gateways = results.filter((r) => r.scenario === scenario && r.target === 'switchboard');
    for (const sb of gateways.length ? gateways : sio ? [undefined] : []) {
    const aim = `server CPU per delivery ≥ ${AIMS.cpuVsSocketIo}× lower than Socket.IO's (${scenario})`;
      const who = sb ? label(sb) : 'switchboard';
      if (!sb || !sio || !usable(sb) || !usable(sio)) {
        rows.push([aim, who, `${sb ? fixed(sb.cpuPerDeliveryMicros, 3) : 'n/a'} vs ${sio ? fixed(sio.cpuPerDeliveryMicros, 3) : 'n/a'} µs`, 'n/a']);
        continue;
      }
      const ratio = sio.cpuPerDeliveryMicros / sb.cpuPerDeliveryMicros;
      rows.push([aim, who, `${fixed(sb.cpuPerDeliveryMicros, 3)} vs ${fixed(sio.cpuPerDeliveryMicros, 3)} µs (${fixed(ratio, 1)}×)`, verdict(ratio >= AIMS.cpuVsSocketIo)]);
    }
  }
  const overWs = results.find((r) => r.scenario === 'sse-2r' && r.receivers === 'websocket');
  const overSse = results.find((r) => r.scenario === 'sse-2r' && r.receivers === 'sse');
  if (overWs && overSse) {
    const ok = usable(overWs) && usable(overSse);
    const ratio = overSse.cpuPerDeliveryMicros / overWs.cpuPerDeliveryMicros;
    const measured = `${fixed(overSse.cpuPerDeliveryMicros, 3)} vs ${fixed(overWs.cpuPerDeliveryMicros, 3)} µs (${fixed(ratio, 2)}×)`;
    rows.push([`SSE server CPU per delivery ≤ ${AIMS.sseCpuVsWebSocket}× WebSocket's (sse-2r)`, 'switchboard', measured, ok ? verdict(ratio <= AIMS.sseCpuVsWebSocket) : 'n/a']);
    rows.push(["SSE fan-out p99 beside WebSocket's (sse-2r)", 'switchboard', `${fixed(overSse.latencyMs.p99, 1)} vs ${fixed(overWs.latencyMs.p99, 1)} ms`, 'info']);
  }
  const sio = find('rooms-2r', 'socketio');
  const gateways = results.filter((r) => r.scenario === 'rooms-2r' && r.target === 'switchboard');
  // The floor: plain `ws` holding every client in one process (no bus), one ws.send per delivery.
  const floor = find('rooms-2r', 'ws-reference');
  for (const sb of gateways.filter(usable)) {
    if (!floor || !usable(floor)) break;
    const over = sb.cpuPerDeliveryMicros / floor.cpuPerDeliveryMicros;
    rows.push(['server CPU per delivery beside plain ws, one process (rooms-2r)', label(sb), `${fixed(sb.cpuPerDeliveryMicros, 3)} vs ${fixed(floor.cpuPerDeliveryMicros, 3)} µs (${fixed(over, 2)}×)`, 'info']);
  }
  for (const sb of gateways.length ? gateways : sio ? [undefined] : []) {
    const aim = `p99 latency at ${roomsRate} msg/s ≤ Socket.IO's (rooms-2r)`;
    const measured = `${sb ? fixed(sb.latencyMs.p99, 1) : 'n/a'} vs ${sio ? fixed(sio.latencyMs.p99, 1) : 'n/a'} ms`;
    const ok = sb && sio && usable(sb) && usable(sio) ? verdict(sb.latencyMs.p99 <= sio.latencyMs.p99) : 'n/a';
    rows.push([aim, sb ? label(sb) : 'switchboard', measured, ok]);
    if (sb && usable(sb)) rows.push([`p99 latency < ${AIMS.roomsP99Ms} ms (rooms-2r)`, label(sb), `${fixed(sb.latencyMs.p99, 2)} ms`, verdict(sb.latencyMs.p99 < AIMS.roomsP99Ms)]);
  }
  return rows;
}

/** A run whose per-delivery figures mean something: it delivered. */
function usable(r: RunResult): boolean {
  return r.deliveries > 0 && Number.isFinite(r.cpuPerDeliveryMicros);
}

/** sse-2r: each SSE uplink path's p99 round trip against the WebSocket frame's of the same run. */
function uplinkAims(uplinks: UplinkResult[]): string[][] {
  return uplinks.flatMap((u) =>
    u.paths
      .filter((p) => p.path !== 'websocket')
      .flatMap((p) => {
        const ws = u.paths.find((w) => w.path === 'websocket' && w.frame === p.frame);
        if (!ws) return [];
        const ratio = p.p99 / ws.p99;
        return [[`uplink round trip p99 ≤ ${AIMS.uplinkP99VsWebSocket}× a WebSocket frame's (${p.frame}, ${p.path})`, 'switchboard', `${fixed(p.p99, 2)} vs ${fixed(ws.p99, 2)} ms (${fixed(ratio, 2)}×)`, verdict(ratio <= AIMS.uplinkP99VsWebSocket)]];
      }),
  );
}

/** One row per aim and target that was measured. */
export function aimsTable(fanOut: FanOutResult[], idle: IdleResult[], cluster: RunResult[] = [], roomsRate = 0, uplinks: UplinkResult[] = []): string {
  const rows: string[][] = [];
  for (const r of fanOut) {
    rows.push([`server CPU per delivery ≤ ${AIMS.cpuPerDeliveryMicros} µs`, r.target, `${fixed(r.cpuPerDeliveryMicros, 3)} µs`, verdict(r.cpuPerDeliveryMicros <= AIMS.cpuPerDeliveryMicros)]);
  }
  for (const r of fanOut) {
    const mb = r.peakRssBytes / MB;
    rows.push([`peak RSS (fan-out) < ${AIMS.peakRssMB} MB`, r.target, `${fixed(mb, 1)} MB`, verdict(mb < AIMS.peakRssMB)]);
  }
  for (const r of idle) {
    const what = r.scenario === 'idle-room' ? ` (rooms of ${r.roomSize})` : '';
    rows.push([`idle RSS per connection ≤ ${AIMS.idleKBPerConnection} KB${what}`, r.target, `${fixed(r.rssPerConnectionKB, 2)} KB`, verdict(r.rssPerConnectionKB <= AIMS.idleKBPerConnection)]);
  }
  rows.push(...clusterAims(cluster, roomsRate), ...uplinkAims(uplinks));
  return table(['aim', 'target', 'measured', 'verdict'], rows);
}

/** Anything in a run's result that says the figures should not be trusted as they stand. */
export function fanOutWarnings(r: RunResult): string[] {
  const out: string[] = [];
  const who = r.scenario === 'fanout' ? r.target : `${r.scenario}/${label(r)}`;
  if (!r.complete) out.push(`${who}: run incomplete (${r.incompleteReason})`);
  if (r.lost > 0) out.push(`${who}: ${r.lossyClients} clients missed messages; e.g. ${r.firstLoss}`);
  if (r.shapeErrors > 0) out.push(`${who}: ${r.shapeErrors} frames with an unexpected shape or misrouted`);
  if (r.errorFrames > 0) out.push(`${who}: ${r.errorFrames} error frames, first: ${r.firstError}`);
  const closes = Object.entries(r.unexpectedCloses);
  if (closes.length > 0) out.push(`${who}: clients closed by the server during the run: ${closes.map(([c, n]) => `${n}×${c}`).join(', ')}`);
  if (r.clientMaxLoopLagMs > 1000) out.push(`${who}: a client process's event loop was blocked for up to ${(r.clientMaxLoopLagMs / 1000).toFixed(1)} s (its receive times, hence latencies, are late by as much)`);
  if (r.rate > 0 && r.behindMs > 50) out.push(`${who}: the senders fell up to ${r.behindMs.toFixed(0)} ms behind the ${r.rate} msg/s schedule`);
  if (r.otherProcessesCores > 0.25) {
    out.push(`${who}: other processes kept ${r.otherProcessesCores.toFixed(2)} cores busy during the run: deliveries/s and latency are lower than on a quiet machine`);
  }
  for (const line of r.serverLogTail) out.push(`${who} log: ${line.slice(0, 300)}`);
  return out;
}

/** acks-2r: CPU of both replicas and Redis per published message, in µs. */
export function publishCostMicros(r: RunResult): number {
  return (r.serverCpuMicros + (r.redisCpuMicros ?? 0)) / r.messages;
}
