import { table } from './report';
import { type FillRoomResult, IDLE_PING_PERIOD_S, NOTICE_THRESHOLD, IDLE_PONG_WAIT_S, type IdleManyResult, PROBE_MEMBERS, PROBE_MESSAGES, PROBE_RATE } from './scale';

/** What the size scenarios are held to (issue 9). */
export const SCALE_AIMS = {
  joinsPerSec: 2_000,
  idleKBPerConnection: 10,
  probeP99Ms: 5,
};

const MB = 1024 * 1024;
const fixed = (n: number | undefined, digits: number) => (n !== undefined && Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const int = (n: number | undefined) => (n !== undefined && Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const closes = (c: Record<string, number>) => Object.entries(c).map(([code, n]) => `${n}×${code}`).join(' ') || '-';
const probe = (p: IdleManyResult['probe']) => (p ? `${fixed(p.p50, 2)}/${fixed(p.p99, 2)}/${fixed(p.max, 1)}` : 'n/a');
const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');

export function fillRoomTable(results: FillRoomResult[]): string {
  return table(
    [
      'target',
      'replicas',
      'joined',
      'fill s',
      'joins/s',
      `first ${NOTICE_THRESHOLD} / rest /s`,
      'srv CPU µs/join',
      'writes/join',
      'replica CPU s',
      'redis CPU µs/join',
      'redis cmds/join',
      'join reply B',
      'peak RSS MB',
      'message reached',
      'last ms',
      'user_list names/total',
      'closed',
    ],
    results.map((r) => [
      r.target,
      String(r.replicas),
      `${int(r.connected)}/${int(r.clients)}`,
      fixed(r.ms / 1000, 2),
      int(r.joinsPerSec),
      `${int(r.firstJoinsPerSec)} / ${int(r.restJoinsPerSec)}`,
      fixed(r.cpuPerJoinMicros, 0),
      fixed(r.writesPerJoin, 1),
      r.replicaCpuMicros.map((c) => fixed(c / 1e6, 2)).join('+'),
      fixed(r.redisCpuPerJoinMicros, 0),
      fixed(r.redisCommandsPerJoin, 2),
      int(r.userListBytesPerJoin),
      r.peakRssBytes.map((b) => fixed(b / MB, 0)).join('+'),
      `${int(r.messageReached)}/${int(r.connected)}`,
      fixed(r.messageLastMs, 0),
      r.userList ? `${r.userList.names}/${r.userList.total ?? '(none)'}` : 'n/a',
      closes(r.closes),
    ]),
  );
}

export function fillRoomNotes(results: FillRoomResult[]): string[] {
  return results.flatMap((r) => [
    ...(r.redisTopCommands ? [`  ${r.target}: Redis commands per join: ${r.redisTopCommands}`] : []),
    ...(r.failed ? [`  ${r.target}: ${r.failed} clients failed to join, first: ${r.firstFailure}`] : []),
    ...(r.errorFrames ? [`  ${r.target}: ${r.errorFrames} error frames, first: ${r.firstError}`] : []),
  ]);
}

export function idleManyTable(results: IdleManyResult[]): string {
  return table(
    [
      'target',
      'connected',
      'procs×sources',
      'connect s',
      'connects/s',
      'srv CPU µs/conn',
      'RSS before MB',
      'RSS after MB',
      'KB/conn',
      'kernel KB/conn',
      'pinged/none',
      'ping late p50/p99/max ms',
      'loop stall ms',
      'muted closed after s (bound)',
      'probe p50/p99/max ms',
      'probe alone p50/p99/max ms',
      'closed',
    ],
    results.map((r) => [
      r.target,
      `${int(r.connected)}/${int(r.clients)}`,
      `${r.processes}×${r.sources}`,
      fixed(r.connectMs / 1000, 2),
      int(r.connectsPerSec),
      int(r.cpuPerConnectMicros),
      fixed(r.rssBeforeBytes / MB, 1),
      fixed(r.rssAfterBytes / MB, 1),
      fixed(r.rssPerConnectionKB, 2),
      fixed(r.slabPerConnectionKB, 1),
      r.pingedConnections === undefined ? 'n/a' : `${int(r.pingedConnections)}/${int(r.unpingedConnections)}`,
      r.pingLateMs ? `${fixed(r.pingLateMs.p50, 1)}/${fixed(r.pingLateMs.p99, 1)}/${fixed(r.pingLateMs.max, 1)}` : 'n/a',
      fixed(r.loopLagMaxMs, 0),
      r.mutedBoundMs ? `${r.mutedClosedAfterMs === undefined ? 'NOT CLOSED' : fixed(r.mutedClosedAfterMs / 1000, 1)} (${fixed(r.mutedBoundMs / 1000, 0)})` : 'n/a',
      probe(r.probe),
      probe(r.probeBaseline),
      closes(r.closes),
    ]),
  );
}

export function idleManyNote(clients: number): string {
  return (
    `Idle many: ${clients} JWT connections on one replica (switchboard: /ws/auth, no room; ws-reference: the same URLs); ` +
    `gateway WEBSOCKET_PING_PERIOD=${IDLE_PING_PERIOD_S}s WEBSOCKET_PONG_WAIT=${IDLE_PONG_WAIT_S}s; ` +
    `srv CPU µs/conn = the server's CPU from the first handshake until it went quiet after the last ÷ connections (the gateway's pings to newcomers included); ` +
    `kernel KB/conn = growth of the machine's slab memory ÷ 2 ÷ connections (approximate); pinged/none = of the N but the muted one, connections that saw at least one ping interval (two pings) during the hold / that saw none; ping late = interval between two pings at a client − the period (probe room included); loop stall = the gateway's nodejs_eventloop_lag_max_seconds over the hold; muted = a client that stops answering pings (it still reads); ` +
    `probe = ${PROBE_MEMBERS} members of one room on the same replica, ${PROBE_MESSAGES} messages at ${PROBE_RATE}/s, send → receive, while the N are held; ` +
    '"probe alone" = the same before the N were opened (this machine\'s latency floor in this run)'
  );
}

export function scaleAims(fill: FillRoomResult[], idle: IdleManyResult[]): string[][] {
  const rows: string[][] = [];
  const sbFill = fill.find((r) => r.target === 'switchboard');
  if (sbFill) {
    rows.push([`fill-room ≥ ${int(SCALE_AIMS.joinsPerSec)} joins/s`, 'switchboard', `${int(sbFill.joinsPerSec)} joins/s`, verdict(sbFill.joinsPerSec >= SCALE_AIMS.joinsPerSec && sbFill.failed === 0)]);
    rows.push([
      'fill-room: one message reaches every member',
      'switchboard',
      `${int(sbFill.messageReached)}/${int(sbFill.connected)}`,
      verdict(sbFill.messageReached === sbFill.connected && sbFill.connected === sbFill.clients),
    ]);
    const ul = sbFill.userList;
    rows.push(['fill-room: user_list answers, total = members', 'switchboard', ul ? `${ul.names} names, total ${ul.total}` : 'no reply', verdict(ul !== undefined && (ul.total ?? ul.names) === sbFill.connected)]);
  }
  const sb = idle.find((r) => r.target === 'switchboard');
  const ref = idle.find((r) => r.target === 'ws-reference');
  if (sb) {
    rows.push([`idle-many RSS per connection ≤ ${SCALE_AIMS.idleKBPerConnection} KB`, 'switchboard', `${fixed(sb.rssPerConnectionKB, 2)} KB`, verdict(sb.rssPerConnectionKB <= SCALE_AIMS.idleKBPerConnection)]);
    const ratio = ref ? sb.connectsPerSec / ref.connectsPerSec : NaN;
    rows.push([
      'idle-many connect rate (JWT) ≥ plain ws',
      'switchboard',
      `${int(sb.connectsPerSec)} vs ${ref ? int(ref.connectsPerSec) : 'n/a'} /s (${fixed(ratio, 2)}×; server CPU ${int(sb.cpuPerConnectMicros)} vs ${ref ? int(ref.cpuPerConnectMicros) : 'n/a'} µs per connect)`,
      ref ? verdict(ratio >= 1) : 'n/a',
    ]);
    const dropped = Object.values(sb.closes).reduce((n, k) => n + k, 0);
    rows.push(['idle-many: no live connection closed by the server', 'switchboard', dropped ? `${dropped} closed: ${closes(sb.closes)}` : 'none', verdict(dropped === 0)]);
    const pinged = sb.pingedConnections ?? 0;
    // The muted client apart: it stops answering, so the server may rightly stop pinging it.
    const live = sb.connected - 1;
    rows.push([
      'idle-many: every connection pinged about once per period',
      'switchboard',
      `${int(pinged)}/${int(live)} saw a ping interval (${int(sb.unpingedConnections)} none; the muted one apart)` +
        (sb.pingLateMs && sb.pingLateMs.samples > 0 ? `, p99 ${fixed(sb.pingLateMs.p99, 0)} ms late` : ''),
      verdict(live > 0 && pinged === live),
    ]);
    const closed = sb.mutedClosedAfterMs;
    rows.push([
      'idle-many: silent client terminated within PONG_WAIT + PING_PERIOD',
      'switchboard',
      closed === undefined ? 'not closed' : `${fixed(closed / 1000, 1)} s ≤ ${fixed((sb.mutedBoundMs ?? 0) / 1000, 0)} s`,
      verdict(closed !== undefined && closed <= (sb.mutedBoundMs ?? 0)),
    ]);
    rows.push([
      `idle-many: probe room p99 < ${SCALE_AIMS.probeP99Ms} ms`,
      'switchboard',
      sb.probe ? `${fixed(sb.probe.p99, 2)} ms (alone ${fixed(sb.probeBaseline?.p99, 2)} ms; ${sb.probe.received}/${sb.probe.sent * PROBE_MEMBERS} received)` : 'n/a',
      sb.probe ? verdict(sb.probe.p99 < SCALE_AIMS.probeP99Ms && sb.probe.received === sb.probe.sent * PROBE_MEMBERS) : 'n/a',
    ]);
  }
  return rows;
}

export function scaleAimsTable(fill: FillRoomResult[], idle: IdleManyResult[]): string {
  return table(['aim', 'target', 'measured', 'verdict'], scaleAims(fill, idle));
}
