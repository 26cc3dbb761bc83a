import { setTimeout as sleep } from 'node:timers/promises';
import { LatencyHistogram } from './histogram';
import type { BenchOptions } from './options';
import { cpuMicros, waitForQuiet } from './proc-stats';
import { benchToken, startCluster } from './servers';
import { Peer } from './signaling';

export interface SignalingResumeResult {
  scenario: 'signaling-resume';
  /** Peers on the replica that was SIGKILLed, each in a room of two with a watcher on the other replica. */
  peers: number;
  /** Resumed on the surviving replica with their old client id and their room (its watcher listed). */
  resumed: number;
  /** Resumed but with another id, without the room, or refused (`resume_failed`, a timeout, a close). */
  failed: number;
  firstError?: string;
  /** Attempts refused (an `error` frame such as `unavailable`, or a close) and tried again after a backoff, as SignalingClient does. */
  retries: number;
  firstRetry?: string;
  /** Handshakes in flight at once (--window). */
  window: number;
  connectMs: number;
  /** SIGKILL → the last `resumed`. */
  durationMs: number;
  resumesPerSec: number;
  /** SIGKILL → each peer's `resumed`. */
  resumeMs: { p50: number; p99: number; max: number };
  /** The surviving replica's CPU and Redis' over the resumes, per resume. */
  serverCpuMicrosPerResume: number;
  redisCpuMicrosPerResume: number;
  /** `peer_left` frames the watchers got: a resumed peer never left, so 0. */
  peerLeftSeen: number;
}

/** How long all the resumes together may take (the resume window is 30 s). */
const RESUME_CAP_MS = 25_000;

/**
 * signaling-resume: `--signaling-resume` peers on replica 1, each the creator of a room its
 * watcher (on replica 2) joined. Replica 1 is SIGKILLed; every peer reconnects at once to
 * replica 2 with `?resume=<its token>`, `--window` handshakes in flight, and must get
 * `resumed` with its old id and its room; the watchers must see no `peer_left`.
 * Resumes/s = resumed ÷ (SIGKILL → last `resumed`).
 */
export async function signalingResumeRun(o: BenchOptions): Promise<SignalingResumeResult> {
  const n = o.signalingResumePeers;
  const cluster = await startCluster('switchboard', 2, () => ({ WEBSOCKET_SIGNALING_MAX_PEERS: '2' }));
  const [doomed, survivor] = cluster.replicas;
  const open: Peer[] = [];
  try {
    const url = (port: number) => `ws://127.0.0.1:${port}/signaling?token=${benchToken('bench')}`;
    const connectStart = Date.now();
    const peers: Peer[] = [];
    const watchers: Peer[] = [];
    let peerLeftSeen = 0;
    for (let i = 0; i < n; i += o.connectBatch) {
      const batch = Math.min(o.connectBatch, n - i);
      await Promise.all(
        Array.from({ length: batch }, async () => {
          const peer = await Peer.open(url(doomed.port), 1);
          open.push(peer);
          const watcher = await Peer.open(url(survivor.port), 2);
          open.push(watcher);
          watcher.onPeerLeft = () => peerLeftSeen++;
          const room = (await peer.ask({ type: 'create_room' }, 'room_created')).room_id;
          await watcher.ask({ type: 'join_room', room_id: room }, 'room_joined');
          peers.push(peer);
          watchers.push(watcher);
        }),
      );
    }
    const connectMs = Date.now() - connectStart;
    const rooms = new Map(peers.map((p, i) => [p.id, { watcher: watchers[i].id }]));
    await Promise.all([survivor.pid, cluster.redis.pid].map((pid) => waitForQuiet(pid)));

    const cpuBefore = [cpuMicros(survivor.pid), cpuMicros(cluster.redis.pid)];
    const start = performance.now();
    process.kill(doomed.pid, 'SIGKILL');
    const histogram = new LatencyHistogram();
    let resumed = 0;
    let failed = 0;
    let firstError: string | undefined;
    let retries = 0;
    let firstRetry: string | undefined;
    let lastAt = start;
    let next = 0;
    const deadline = start + RESUME_CAP_MS;
    // Each peer comes back as soon as its socket saw the close, `--window` at a time.
    const worker = async () => {
      while (next < peers.length) {
        const old = peers[next++];
        try {
          await closed(old);
          const back = await resumeWithRetries(`${url(survivor.port)}&resume=${encodeURIComponent(old.resumeToken)}`, deadline, (why) => {
            retries++;
            firstRetry ??= why;
          });
          open.push(back);
          const g = back.greeting;
          const room = (g.rooms as Array<{ room_id: number; peers: number[] }> | undefined)?.[0];
          if (g.type !== 'resumed' || back.id !== old.id || !room?.peers.includes(rooms.get(old.id)!.watcher)) {
            throw new Error(`peer ${old.id} came back as ${g.type} ${back.id} with rooms ${JSON.stringify(g.rooms)}`);
          }
          resumed++;
          lastAt = performance.now();
          histogram.record((lastAt - start) * 1000);
        } catch (err) {
          failed++;
          firstError ??= (err as Error).message;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(o.connectWindow, peers.length) }, worker));
    const [serverCpu, redisCpu] = [cpuMicros(survivor.pid) - cpuBefore[0], cpuMicros(cluster.redis.pid) - cpuBefore[1]];
    const durationMs = lastAt - start;
    const q = (p: number) => histogram.quantile(p) / 1000;
    return {
      scenario: 'signaling-resume',
      peers: n,
      resumed,
      failed,
      firstError,
      retries,
      firstRetry,
      window: o.connectWindow,
      connectMs,
      durationMs,
      resumesPerSec: (resumed / Math.max(durationMs, 1)) * 1000,
      resumeMs: { p50: q(0.5), p99: q(0.99), max: histogram.max / 1000 },
      serverCpuMicrosPerResume: serverCpu / Math.max(1, resumed),
      redisCpuMicrosPerResume: redisCpu / Math.max(1, resumed),
      peerLeftSeen,
    };
  } finally {
    for (const p of open) p.ws.terminate();
    await cluster.stop();
  }
}

/**
 * Opens a `?resume=` connection; a refusal or a close before the greeting is tried again after
 * a backoff with full jitter (50 ms doubling, at most 1 s), as SignalingClient does, until `deadline`.
 */
async function resumeWithRetries(url: string, deadline: number, retried: (why: string) => void): Promise<Peer> {
  for (let attempt = 0; ; attempt++) {
    const remaining = deadline - performance.now();
    if (remaining <= 0) throw new Error(`not resumed within ${RESUME_CAP_MS} ms of the SIGKILL`);
    try {
      return await Peer.open(url, 2, remaining);
    } catch (err) {
      if (/resume_failed/.test((err as Error).message)) throw err;
      retried((err as Error).message);
      await sleep(Math.random() * Math.min(1000, 50 * 2 ** attempt));
    }
  }
}

/** Resolves once the peer's socket is closed (at once if it already is). */
function closed(peer: Peer): Promise<void> {
  if (peer.ws.readyState === peer.ws.CLOSED) return Promise.resolve();
  return new Promise((resolve) => peer.ws.once('close', () => resolve()));
}

export function signalingResumeTable(results: SignalingResumeResult[]): string {
  return results
    .map(
      (r) =>
        `  ${r.resumed}/${r.peers} resumed (same id, room and watcher), failed ${r.failed}${r.firstError ? ` (${r.firstError})` : ''}, ` +
        `${r.retries} attempts tried again${r.firstRetry ? ` (first: ${r.firstRetry})` : ''}, ` +
        `${Math.round(r.resumesPerSec).toLocaleString('en-US')} resumes/s (SIGKILL → last resumed ${r.durationMs.toFixed(0)} ms, ${r.window} in flight); ` +
        `SIGKILL → resumed p50 ${r.resumeMs.p50.toFixed(0)} ms, p99 ${r.resumeMs.p99.toFixed(0)} ms, max ${r.resumeMs.max.toFixed(0)} ms; ` +
        `${r.serverCpuMicrosPerResume.toFixed(0)} µs replica CPU per resume (+${r.redisCpuMicrosPerResume.toFixed(0)} µs Redis); peer_left seen ${r.peerLeftSeen}`,
    )
    .join('\n');
}
