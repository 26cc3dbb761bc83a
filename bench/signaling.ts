import { mkdirSync } from 'node:fs';
import { WebSocket } from 'ws';
import { LatencyHistogram } from './histogram';
import type { BenchOptions } from './options';
import { cpuMicros } from './proc-stats';
import { type ProfileOptions, profilerEnv, REPLICAS, toggleProfiler } from './scenarios';
import { benchToken, startCluster, type Target } from './servers';

/** ICE candidates each pair exchanges (half each way), after the offer and the answer. */
export const SIGNALING_CANDIDATES = 10;
/** An SDP offer/answer of realistic size (a data-channel-only session is ~1 KB; with media, several KB). */
const SDP = `v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n${'a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\n'.repeat(30)}`;
const CANDIDATE = { candidate: 'candidate:842163049 1 udp 1677729535 192.0.2.2 51472 typ srflx raddr 0.0.0.0 rport 0 generation 0', sdpMid: '0', sdpMLineIndex: 0 };

export interface SignalingResult {
  scenario: 'signaling-2r';
  /** switchboard, or ws-reference: the plain relay (ws + Redis pub/sub, nothing else) on the same hops. */
  target: Target;
  pairs: number;
  /** Pairs started per second (0: all at once). */
  pairRate: number;
  /** Relays sent in all: offer + answer + candidates per pair. */
  relays: number;
  delivered: number;
  complete: boolean;
  incompleteReason?: string;
  connectMs: number;
  /** First relay sent → last relay delivered (includes the pacing). */
  durationMs: number;
  /** Relays delivered ÷ durationMs: the capacity when all pairs start at once, else it follows the offered rate. */
  relaysPerSec: number;
  /** Paced runs: relays offered per second (pairs/s × relays per pair). */
  offeredRelaysPerSec?: number;
  /** Both replicas' CPU over the exchange ÷ relays delivered; Redis apart. */
  serverCpuMicros: number;
  cpuPerRelayMicros: number;
  redisCpuPerRelayMicros: number;
  latencyMs: { p50: number; p99: number; max: number; mean: number };
  errorFrames: number;
  firstError?: string;
  /** The replicas' CPU profiles of the exchange, when profiled. */
  profileFiles?: string[];
}

type Frame = Record<string, any>;

/** How long opening a peer (to `welcome`) or one setup request (create, join) may take. */
const SETUP_TIMEOUT_MS = 10_000;

/** One bench connection to `/signaling`, resolving on `welcome` (or `resumed`, for a `?resume=` URL). */
export class Peer {
  id = 0;
  /** The `resume_token` of the greeting. */
  resumeToken = '';
  /** The greeting frame: `welcome` or `resumed`. */
  greeting: Frame = {};
  /** The setup request waiting for its reply, if any: an `error` frame fails it. */
  private pending?: { reply: string; resolve: (f: Frame) => void; reject: (err: Error) => void };
  onRelay: (f: Frame) => void = () => undefined;
  onError: (f: Frame) => void = () => undefined;
  onPeerLeft: (f: Frame) => void = () => undefined;

  private constructor(readonly ws: WebSocket) {}

  /**
   * Opens a peer on replica `replica`; rejects on a socket error, an `error` frame, a close or
   * no `welcome` in time. Once open, a socket error or close fails the setup request pending.
   */
  static open(url: string, replica: number, timeoutMs = SETUP_TIMEOUT_MS): Promise<Peer> {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const peer = new Peer(ws);
    return new Promise((resolve, reject) => {
      let welcomed = false;
      const fail = (why: string) => {
        if (welcomed) return peer.pending?.reject(new Error(`signaling peer ${peer.id} on replica ${replica}: ${why}`));
        clearTimeout(timer);
        ws.terminate();
        reject(new Error(`signaling peer on replica ${replica}, opening: ${why}`));
      };
      const timer = setTimeout(() => fail(`no welcome within ${timeoutMs} ms`), timeoutMs);
      ws.on('error', (err) => fail(err.message));
      ws.once('close', (code) => fail(`closed ${code}`));
      ws.on('message', (data) => {
        const f = JSON.parse(data.toString()) as Frame;
        if ((f.type === 'welcome' || f.type === 'resumed') && !welcomed) {
          clearTimeout(timer);
          welcomed = true;
          peer.id = f.client_id;
          peer.resumeToken = f.resume_token;
          peer.greeting = f;
          resolve(peer);
        } else if (f.type === 'offer' || f.type === 'answer' || f.type === 'ice_candidate') peer.onRelay(f);
        else if (f.type === 'peer_left') peer.onPeerLeft(f);
        else if (f.type === 'error' && !welcomed) fail(`error ${f.code}: ${f.message}`);
        else if (f.type === 'error') peer.onErrorFrame(f);
        else if (peer.pending && f.type === peer.pending.reply) peer.pending.resolve(f);
      });
    });
  }

  /** Sends a setup request; resolves on `reply`, rejects on an `error` frame or after SETUP_TIMEOUT_MS. */
  ask(frame: Frame, reply: string): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const settle = () => {
        clearTimeout(timer);
        this.pending = undefined;
      };
      const timer = setTimeout(() => {
        settle();
        reject(new Error(`signaling peer ${this.id}: no ${reply} to ${frame.type} within ${SETUP_TIMEOUT_MS} ms`));
      }, SETUP_TIMEOUT_MS);
      this.pending = {
        reply,
        resolve: (f) => {
          settle();
          resolve(f);
        },
        reject: (err) => {
          settle();
          reject(err);
        },
      };
      this.ws.send(JSON.stringify(frame));
    });
  }

  relay(type: string, to: number, data: unknown): void {
    this.ws.send(JSON.stringify({ type, to, data: { t: performance.now(), payload: data } }));
  }

  private onErrorFrame(f: Frame): void {
    if (!this.pending) return this.onError(f);
    this.pending.reject(new Error(`signaling peer ${this.id}: ${this.pending.reply} awaited, got error ${f.code}: ${f.message}`));
  }
}

/**
 * Signaling relay across two replicas on one Redis: `pairs` peer pairs, the creator of each
 * room on replica 1 and the joiner on replica 2; the joiner offers, the creator answers, then
 * each side sends half of the ICE candidates. Every relay crosses the bus to the other
 * replica on the addressee's own topic. Latency = receive − send in this one process.
 */
export async function signalingRun(o: BenchOptions, capMs: number, profile?: ProfileOptions, target: Target = 'switchboard'): Promise<SignalingResult> {
  const pairs = o.signalingPairs;
  if (profile) mkdirSync(profile.dir, { recursive: true });
  const cluster = await startCluster(target, REPLICAS, () => ({ ...(profile ? profilerEnv(profile.dir) : {}), WEBSOCKET_SIGNALING_MAX_PEERS: '2' }));
  const peers: Peer[] = [];
  try {
    const path = target === 'switchboard' ? `/signaling?token=${benchToken('bench')}` : '/';
    const urls = cluster.replicas.map((r) => `ws://127.0.0.1:${r.port}${path}`);
    // Every peer opened is closed at the end, whether or not the setup completes.
    const open = async (replica: number) => {
      const peer = await Peer.open(urls[replica], replica + 1);
      peers.push(peer);
      return peer;
    };
    const connectStart = Date.now();
    const creators: Peer[] = [];
    const joiners: Peer[] = [];
    for (let i = 0; i < pairs; i += o.connectBatch) {
      const n = Math.min(o.connectBatch, pairs - i);
      creators.push(...(await Promise.all(Array.from({ length: n }, () => open(0)))));
      joiners.push(...(await Promise.all(Array.from({ length: n }, () => open(1)))));
    }
    await Promise.all(
      creators.map(async (a, i) => {
        const room = (await a.ask({ type: 'create_room' }, 'room_created')).room_id;
        await joiners[i].ask({ type: 'join_room', room_id: room }, 'room_joined');
      }),
    );
    const connectMs = Date.now() - connectStart;

    const perPair = 2 + SIGNALING_CANDIDATES;
    const relays = pairs * perPair;
    const histogram = new LatencyHistogram();
    let delivered = 0;
    let errorFrames = 0;
    let firstError: string | undefined;
    let lastAt = 0;
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    const candidates = (from: Peer, to: Peer) => {
      for (let k = 0; k < SIGNALING_CANDIDATES / 2; k++) from.relay('ice_candidate', to.id, CANDIDATE);
    };
    for (let i = 0; i < pairs; i++) {
      const [a, b] = [creators[i], joiners[i]];
      const received = (f: Frame) => {
        histogram.record((performance.now() - f.data.t) * 1000);
        lastAt = performance.now();
        if (++delivered === relays) done();
      };
      a.onRelay = (f) => {
        received(f);
        if (f.type === 'offer') a.relay('answer', b.id, { type: 'answer', sdp: SDP });
      };
      b.onRelay = (f) => {
        received(f);
        if (f.type === 'answer') {
          candidates(a, b);
          candidates(b, a);
        }
      };
      for (const p of [a, b]) {
        p.onError = (f) => {
          errorFrames++;
          firstError ??= `${f.code}: ${f.message}`;
        };
      }
    }

    if (profile) await Promise.all(cluster.replicas.map((r) => toggleProfiler(r, 'started')));
    const cpuBefore = cluster.replicas.map((r) => cpuMicros(r.pid));
    const redisBefore = cpuMicros(cluster.redis.pid);
    const start = performance.now();
    // Pairs start at --signaling-rate per second (0: all at once), so latency is the relay's, not a queue's.
    const gapMs = o.signalingRate > 0 ? 1000 / o.signalingRate : 0;
    for (let i = 0; i < pairs; i++) {
      const offer = () => joiners[i].relay('offer', creators[i].id, { type: 'offer', sdp: SDP });
      if (gapMs === 0) offer();
      else setTimeout(offer, i * gapMs);
    }
    let timer: NodeJS.Timeout | undefined;
    const complete = await Promise.race([finished.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), capMs)))]);
    clearTimeout(timer);
    const serverCpu = cluster.replicas.reduce((sum, r, i) => sum + cpuMicros(r.pid) - cpuBefore[i], 0);
    const redisCpu = cpuMicros(cluster.redis.pid) - redisBefore;
    const profileFiles = profile ? await Promise.all(cluster.replicas.map((r) => toggleProfiler(r, 'written'))) : undefined;
    const durationMs = (complete ? lastAt : performance.now()) - start;
    const q = (p: number) => histogram.quantile(p) / 1000;
    return {
      scenario: 'signaling-2r',
      target,
      pairs,
      pairRate: o.signalingRate,
      relays,
      delivered,
      complete,
      incompleteReason: complete ? undefined : `${relays - delivered} relays not delivered within ${capMs} ms`,
      connectMs,
      durationMs,
      relaysPerSec: (delivered / durationMs) * 1000,
      offeredRelaysPerSec: o.signalingRate > 0 ? o.signalingRate * perPair : undefined,
      serverCpuMicros: serverCpu,
      cpuPerRelayMicros: serverCpu / Math.max(1, delivered),
      redisCpuPerRelayMicros: redisCpu / Math.max(1, delivered),
      latencyMs: { p50: q(0.5), p99: q(0.99), max: histogram.max / 1000, mean: histogram.count ? histogram.sum / histogram.count / 1000 : 0 },
      errorFrames,
      firstError,
      profileFiles: profileFiles?.filter((f): f is string => f !== undefined),
    };
  } finally {
    for (const p of peers) p.ws.terminate();
    await cluster.stop();
  }
}

/**
 * What the signaling scenario is held to: Switchboard's relay p99 and server CPU per relay at
 * most this many times those of the plain `ws` + Redis relay measured in the same run (an
 * absolute figure would measure the machine as much as the code).
 */
const SIGNALING_AIM_RATIO = 1.2;

/**
 * The relay rate as measured: paced, what was offered beside what was achieved (the achieved
 * rate follows the offered one, it is not a capacity); all at once, the capacity.
 */
export function relayRate(r: SignalingResult): string {
  const achieved = Math.round(r.relaysPerSec).toLocaleString('en-US');
  if (r.offeredRelaysPerSec === undefined) return `capacity ${achieved} relays/s (all pairs at once)`;
  return `offered ${Math.round(r.offeredRelaysPerSec).toLocaleString('en-US')} relays/s, achieved ${achieved}/s (paced, not a capacity)`;
}

export function signalingTable(results: SignalingResult[]): string {
  const rows = results.map(
    (r) =>
      `  ${r.target.padEnd(12)}  ${r.pairs} pairs ${r.pairRate > 0 ? `starting at ${r.pairRate}/s` : 'all at once'}  ${r.delivered}/${r.relays} relays  ${relayRate(r)}  ` +
      `p50 ${r.latencyMs.p50.toFixed(2)} ms  p99 ${r.latencyMs.p99.toFixed(2)} ms  max ${r.latencyMs.max.toFixed(1)} ms  ` +
      `srv CPU ${r.cpuPerRelayMicros.toFixed(1)} µs/relay (+${r.redisCpuPerRelayMicros.toFixed(1)} µs Redis)  ` +
      `errors ${r.errorFrames}${r.firstError ? ` (${r.firstError})` : ''}${r.complete ? '' : `  INCOMPLETE: ${r.incompleteReason}`}`,
  );
  const floor = results.find((r) => r.target === 'ws-reference' && r.complete);
  const aim = results.filter((r) => r.target === 'switchboard').map((r) => {
    const line = `  aim p99 and CPU/relay ≤ ${SIGNALING_AIM_RATIO}× the plain ws + Redis relay's`;
    if (!floor) return `${line}: not judged (no complete plain ws relay in this run)`;
    if (!r.complete) return `${line}: NOT met (incomplete: ${r.delivered}/${r.relays} relays delivered)`;
    if (r.errorFrames > 0) return `${line}: NOT met (${r.errorFrames} error frames)`;
    const p99 = r.latencyMs.p99 / Math.max(floor.latencyMs.p99, 0.001);
    const cpu = r.cpuPerRelayMicros / Math.max(floor.cpuPerRelayMicros, 0.001);
    const met = p99 <= SIGNALING_AIM_RATIO && cpu <= SIGNALING_AIM_RATIO;
    return (
      `${line}: ${met ? 'met' : 'NOT met'} (p99 ${r.latencyMs.p99.toFixed(2)} / ${floor.latencyMs.p99.toFixed(2)} ms = ${p99.toFixed(2)}×, ` +
      `CPU ${r.cpuPerRelayMicros.toFixed(1)} / ${floor.cpuPerRelayMicros.toFixed(1)} µs = ${cpu.toFixed(2)}×)`
    );
  });
  return [...rows, ...aim].join('\n');
}
