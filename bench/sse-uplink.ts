import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { SseTestClient, TestClient } from '@switchboard/testing';
import { LatencyHistogram } from './histogram';
import type { BenchOptions } from './options';
import { type ProfileOptions, profilerEnv, toggleProfiler } from './scenarios';
import { startCluster } from './servers';

/** Round trips sent before measuring (connections warm, JIT settled). */
const WARM_UP = 20;

/** One way of sending a frame up, and what its round trips took (ms). */
export interface UplinkPath {
  /** `ping` (answered by the replica: the transport alone) or `message` (chat to a room the client is in, back through the bus). */
  frame: 'ping' | 'message';
  path: 'websocket' | "sse, POST to the stream's replica" | 'sse, POST to the other replica';
  samples: number;
  p50: number;
  p99: number;
  max: number;
}

export interface UplinkResult {
  /** Round trips per path. */
  samples: number;
  paths: UplinkPath[];
  /** With `profile`: a V8 CPU profile of each replica over the measured round trips (the stream's replica first). */
  profileFiles?: string[];
}

type Trip = () => Promise<number | { answered: Promise<number> }>;

/**
 * sse-2r's uplink half: two gateway replicas on one Redis; one client's round trips, one at a
 * time and interleaved so every path sees the same machine: over a WebSocket, over SSE POSTing
 * to the replica holding the stream, and over SSE POSTing to the other replica (which forwards
 * it over the bus). A round trip is send → the answer read off the socket or stream: for `ping`
 * its `pong`, for `message` (a chat message to a room the client is in) the client's own message.
 * The POST's own answer (202) is awaited before the next round trip, as a client keeping its
 * frames in order does.
 */
export async function measureUplink(o: BenchOptions, profile?: ProfileOptions): Promise<UplinkResult> {
  const cluster = await startCluster('switchboard', 2, () => (profile ? profilerEnv(profile.dir) : {}));
  const [a, b] = cluster.replicas;
  const origin = (port: number) => `http://127.0.0.1:${port}`;
  const ws = await TestClient.connect(`ws://127.0.0.1:${a.port}/ws/rtt?user_id=rtt-ws`);
  const sse = await SseTestClient.open(`${origin(a.port)}/sse/ws/rtt?user_id=rtt-sse`);
  try {
    await Promise.all([ws.next('user_list'), sse.next('user_list')]);
    let n = 0;
    const frameOf = (kind: UplinkPath['frame']) => (kind === 'ping' ? { type: 'ping' } : { type: 'message', room: 'rtt', content: `rtt ${++n}` });
    const answer = (kind: UplinkPath['frame'], sent: Record<string, unknown>) => (f: Record<string, unknown>) => (kind === 'ping' ? f.type === 'pong' : f.type === 'message' && f.content === sent.content);
    const viaWs = (kind: UplinkPath['frame']): Trip => async () => {
      const frame = frameOf(kind);
      ws.send(frame);
      await ws.next(answer(kind, frame), 5000);
      return 202;
    };
    const viaSse = (kind: UplinkPath['frame'], port: number): Trip => {
      const post = poster(port, sse.sessionId, sse.sessionToken);
      return async () => {
        const frame = frameOf(kind);
        const answered = post(JSON.stringify(frame));
        await sse.next(answer(kind, frame), 5000);
        return { answered };
      };
    };
    const trips: Array<[UplinkPath['frame'], UplinkPath['path'], Trip]> = (['ping', 'message'] as const).flatMap((kind) => [
      [kind, 'websocket', viaWs(kind)],
      [kind, "sse, POST to the stream's replica", viaSse(kind, a.port)],
      [kind, 'sse, POST to the other replica', viaSse(kind, b.port)],
    ] as Array<[UplinkPath['frame'], UplinkPath['path'], Trip]>);
    const histograms = trips.map(() => new LatencyHistogram());
    for (let i = 0; i < WARM_UP + o.uplinkSamples; i++) {
      if (profile && i === WARM_UP) await Promise.all(cluster.replicas.map((r) => toggleProfiler(r, 'started')));
      for (const [k, [, , trip]] of trips.entries()) {
        const started = performance.now();
        const result = await trip();
        if (i >= WARM_UP) histograms[k].record((performance.now() - started) * 1000);
        const status = typeof result === 'number' ? result : await result.answered;
        if (status !== 202) throw new Error(`uplink answered ${status}`);
      }
    }
    const profileFiles = profile ? ((await Promise.all(cluster.replicas.map((r) => toggleProfiler(r, 'written')))).filter(Boolean) as string[]) : undefined;
    return {
      profileFiles,
      samples: o.uplinkSamples,
      paths: trips.map(([frame, path], k) => {
        const h = histograms[k];
        return { frame, path, samples: h.count, p50: h.quantile(0.5) / 1000, p99: h.quantile(0.99) / 1000, max: h.max / 1000 };
      }),
    };
  } finally {
    await Promise.all([ws.close(), sse.close()]);
    await cluster.stop();
  }
}

/** POSTs to one session at one replica over a kept-alive connection, as a browser's fetch would; resolves with the status. */
function poster(port: number, session: string, token: string): (body: string) => Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  return (body) =>
    new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path: `/sse/session/${session}`, method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'X-Session-Token': token } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
}
