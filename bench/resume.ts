import WebSocket from 'ws';
import { RedisBus } from '@switchboard/bus';
import { Topics } from '@switchboard/protocol';
import type { BenchOptions } from './options';
import { cpuMicros, waitForQuiet } from './proc-stats';
import { startCluster } from './servers';

/** Messages each resuming client missed (what the window holds by default). */
export const MISSED = 100;
/** Resumes in flight at once. */
const CONCURRENCY = 50;

export interface ResumeResult {
  /** Clients that resumed: joined with `since` and got all `missed` messages. */
  resumes: number;
  failed: number;
  missed: number;
  rooms: number;
  durationMs: number;
  resumesPerSec: number;
  replayedPerSec: number;
  /** Gateway and Redis CPU per resume. */
  serverCpuMicrosPerResume: number;
  redisCpuMicrosPerResume: number;
  firstError?: string;
}

/**
 * resume: one gateway on Redis; `MISSED` messages are published into each of 10 rooms, then
 * `--clients` clients resume from offset 0 (`/ws/{room}?since=0&epoch=`), `CONCURRENCY` at a
 * time, each waiting for `user_list` (recovered) and every missed message. The history is
 * public (WEBSOCKET_HISTORY_PUBLIC=true): the clients hold no resume tokens, and the cost
 * measured is the replay's.
 */
export async function measureResume(o: BenchOptions): Promise<ResumeResult> {
  const cluster = await startCluster('switchboard', 1, () => ({ WEBSOCKET_HISTORY_PUBLIC: 'true' }));
  const [gw] = cluster.replicas;
  const rooms = Array.from({ length: 10 }, (_, i) => `resume-${i}`);
  const bus = new RedisBus({ url: cluster.redis.url, history: { size: MISSED, ttlMs: 300_000 }, logger: { log: () => undefined, warn: () => undefined, error: () => undefined } });
  try {
    await bus.ready();
    const epochs = new Map<string, string>();
    for (const room of rooms) {
      const sends = Array.from({ length: MISSED }, (_, i) =>
        bus.publish(Topics.room(room), { kind: 'message', room, from: { id: 'bench', name: 'bench' }, content: `missed ${i}`, ts: Date.now() }),
      );
      await Promise.all(sends);
      epochs.set(room, (await bus.history(Topics.room(room)))!.position.epoch);
    }
    await Promise.all([gw.pid, cluster.redis.pid].map((pid) => waitForQuiet(pid)));
    const cpuBefore = [cpuMicros(gw.pid), cpuMicros(cluster.redis.pid)];
    const started = Date.now();
    let next = 0;
    let done = 0;
    let failed = 0;
    let firstError: string | undefined;
    const worker = async () => {
      while (next < o.clients) {
        const i = next++;
        const room = rooms[i % rooms.length];
        try {
          await resumeOnce(`ws://127.0.0.1:${gw.port}/ws/${room}?user_id=r${i}&since=0&epoch=${epochs.get(room)}`);
          done++;
        } catch (err) {
          failed++;
          firstError ??= (err as Error).message;
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const durationMs = Date.now() - started;
    const [serverCpu, redisCpu] = [cpuMicros(gw.pid) - cpuBefore[0], cpuMicros(cluster.redis.pid) - cpuBefore[1]];
    return {
      resumes: done,
      failed,
      missed: MISSED,
      rooms: rooms.length,
      durationMs,
      resumesPerSec: (done * 1000) / durationMs,
      replayedPerSec: (done * MISSED * 1000) / durationMs,
      serverCpuMicrosPerResume: serverCpu / Math.max(1, done),
      redisCpuMicrosPerResume: redisCpu / Math.max(1, done),
      firstError,
    };
  } finally {
    await bus.close();
    await cluster.stop();
  }
}

/** One client: connect with since, wait for the recovered user_list and every missed message, close. */
function resumeOnce(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    let got = 0;
    const timer = setTimeout(() => fail(new Error(`resume timed out with ${got} of ${MISSED} messages`)), 20_000);
    const fail = (err: Error) => {
      clearTimeout(timer);
      ws.terminate();
      reject(err);
    };
    ws.on('message', (data) => {
      const f = JSON.parse(data.toString()) as { type: string; recovered?: boolean };
      if (f.type === 'user_list' && f.recovered !== true) return fail(new Error('user_list without recovered: true'));
      if (f.type === 'message' && ++got === MISSED) {
        clearTimeout(timer);
        ws.close();
        resolve();
      }
    });
    ws.on('error', (err) => fail(err));
  });
}
