import type { FanOutResult, IdleResult } from './scenarios';

/** The aims the gateway is held to; each is printed with the measured figure and PASS/MISS. */
export const AIMS = {
  cpuPerDeliveryMicros: 1.5,
  peakRssMB: 150,
  idleKBPerConnection: 10,
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
    ['target', 'deliveries', 'deliveries/s', 'srv CPU µs/deliv', 'peak RSS MB', 'lost', 'dup', 'reord', 'p50 ms', 'p99 ms', 'max ms', 'run s', 'send s', 'client CPU s', 'others cores'],
    results.map((r) => [
      r.target + (r.complete ? '' : ' (INCOMPLETE)'),
      `${int(r.deliveries)}/${int(r.expected)}`,
      int(r.deliveriesPerSec),
      fixed(r.cpuPerDeliveryMicros, 3),
      fixed(r.peakRssBytes / MB, 1),
      int(r.lost),
      int(r.duplicated),
      int(r.reordered),
      fixed(r.latencyMs.p50, 1),
      fixed(r.latencyMs.p99, 1),
      fixed(r.latencyMs.max, 1),
      fixed(r.durationMs / 1000, 2),
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

/** One row per aim and target that was measured. */
export function aimsTable(fanOut: FanOutResult[], idle: IdleResult[]): string {
  const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
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
  return table(['aim', 'target', 'measured', 'verdict'], rows);
}

/** Anything in a fan-out result that says the figures should not be trusted as they stand. */
export function fanOutWarnings(r: FanOutResult): string[] {
  const out: string[] = [];
  if (!r.complete) out.push(`${r.target}: run incomplete (${r.incompleteReason})`);
  if (r.shapeErrors > 0) out.push(`${r.target}: ${r.shapeErrors} frames with an unexpected shape`);
  if (r.errorFrames > 0) out.push(`${r.target}: ${r.errorFrames} error frames, first: ${r.firstError}`);
  const closes = Object.entries(r.unexpectedCloses);
  if (closes.length > 0) out.push(`${r.target}: clients closed by the server during the run: ${closes.map(([c, n]) => `${n}×${c}`).join(', ')}`);
  if (r.otherProcessesCores > 0.25) {
    out.push(`${r.target}: other processes kept ${r.otherProcessesCores.toFixed(2)} cores busy during the run: deliveries/s and latency are lower than on a quiet machine`);
  }
  for (const line of r.serverLogTail) out.push(`${r.target} log: ${line.slice(0, 300)}`);
  return out;
}
