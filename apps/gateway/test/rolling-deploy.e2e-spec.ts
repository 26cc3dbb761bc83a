import { RedisBus } from '@switchboard/bus';
import { Topics } from '@switchboard/protocol';
import { type AppProcess, redisGatewayEnv, RedisServer, ResumingClient, startAppProcess, startTcpBalancer, TEST_SECRET, until } from '@switchboard/testing';
import { type MessageFrame, SwitchboardClient } from '@switchboard/client';

const ROOMS = 10;
const CLIENTS = 30;
const RATE = 100;
const SECONDS = 20;

/**
 * A rolling deploy under traffic: three gateway replicas, 30 clients in 10 rooms, a
 * publisher sending 100 messages/s for 20 s. Each replica in turn is SIGTERMed and replaced
 * by a new process; clients drained with 1012 reconnect to any live replica with `since`.
 * Every client must end with every message of its room exactly once, in order — the
 * hand-written resuming clients, and clients of the library (`SwitchboardClient`) behind a
 * balancer that sends each connection to a live replica.
 */
describe('rolling deploy', () => {
  let redis: RedisServer;
  let publisher: RedisBus;
  const live: AppProcess[] = [];
  const all: AppProcess[] = [];
  const clients: ResumingClient[] = [];
  const library: Array<{ room: string; client: SwitchboardClient; got: MessageFrame[]; gaps: unknown[]; rejoins: number }> = [];
  let lb: Awaited<ReturnType<typeof startTcpBalancer>> | undefined;

  const env = () =>
    redisGatewayEnv(redis.url, TEST_SECRET, {
      WEBSOCKET_HEARTBEAT_INTERVAL: '500ms',
      WEBSOCKET_CONNECTION_TIMEOUT: '3s',
      WEBSOCKET_DRAIN_TIMEOUT: '1s',
    });
  const start = async () => {
    const gw = await startAppProcess('gateway', env());
    all.push(gw);
    live.push(gw);
    return gw;
  };
  let next = 0;
  const pick = () => live[next++ % live.length].url;

  beforeAll(async () => {
    redis = await RedisServer.start();
    await Promise.all([start(), start(), start()]);
    publisher = new RedisBus({ url: redis.url, history: { size: 100, ttlMs: 300_000 }, logger: { log: () => undefined, warn: () => undefined, error: () => undefined } });
    await publisher.ready();
  }, 60_000);
  afterAll(async () => {
    for (const c of clients) c.stop();
    for (const l of library) l.client.close();
    lb?.close();
    await publisher?.close();
    await Promise.all(all.map((g) => g.stop('SIGKILL')));
    await redis?.destroy();
  });

  it('loses and duplicates nothing while every replica is replaced under traffic', async () => {
    for (let i = 0; i < CLIENTS; i++) clients.push(new ResumingClient(`deploy-${i % ROOMS}`, `c${i}`, pick));
    await Promise.all(clients.map((c) => c.start()));
    lb = await startTcpBalancer(() => live);
    for (let i = 0; i < ROOMS; i++) {
      const room = `deploy-${i}`;
      const client = new SwitchboardClient({ url: `${lb.url}/ws?user_id=lib${i}`, initialDelayMs: 50, maxDelayMs: 500 });
      const entry = { room, client, got: [] as MessageFrame[], gaps: [] as unknown[], rejoins: 0 };
      client.on('rejoined', () => entry.rejoins++);
      client.on('message', (f) => f.room === room && entry.got.push(f));
      client.on('gap', (g) => entry.gaps.push(g));
      await client.connect();
      await client.join(room);
      library.push(entry);
    }

    const sent = new Map<string, string[]>();
    const publishes: Array<Promise<unknown>> = [];
    let n = 0;
    const total = RATE * SECONDS;
    const sending = new Promise<void>((resolve) => {
      const began = Date.now();
      const timer = setInterval(() => {
        // Catch up to the schedule (timers are coarse on a busy machine).
        const due = Math.min(total, Math.floor(((Date.now() - began) / 1000) * RATE));
        for (; n < due; n++) {
          const room = `deploy-${n % ROOMS}`;
          const content = `${room}#${n}`;
          publishes.push(
            publisher.publish(Topics.room(room), { kind: 'message', room, from: { id: 'pub', name: 'pub' }, content, ts: Date.now() }).then(() => {
              const list = sent.get(room) ?? [];
              list.push(content);
              sent.set(room, list);
            }),
          );
        }
        if (n >= total) {
          clearInterval(timer);
          resolve();
        }
      }, 10);
    });

    // Replace each replica in turn while the publisher runs.
    for (let i = 0; i < 3; i++) {
      const before = n;
      await until(`the publisher to send ${RATE * 4} messages before replacing replica ${i + 1}`, 30_000, () => n >= Math.min(total, before + RATE * 4));
      const old = live.shift()!;
      const fresh = start();
      old.proc.kill('SIGTERM');
      expect(await old.exited).toBe(0);
      await fresh;
    }
    await sending;
    await Promise.all(publishes);

    const behind = () => [...clients.map((c) => ({ who: c.userId, got: c.received.length, room: c.room })), ...library.map((l) => ({ who: l.room, got: l.got.length, room: l.room }))].filter((x) => x.got < (sent.get(x.room)?.length ?? 0));
    await until('every client to receive every message sent to its room', 20_000, () => behind().length === 0, () => JSON.stringify(behind().slice(0, 3)));

    expect([...sent.values()].reduce((s, l) => s + l.length, 0)).toBe(total);
    for (const c of clients) {
      expect({ client: c.userId, got: c.received.map((r) => r.content) }).toEqual({ client: c.userId, got: sent.get(c.room) });
      const offsets = c.received.map((r) => r.offset);
      expect(offsets).toEqual(Array.from({ length: offsets.length }, (_, i) => i + 1));
    }
    for (const l of library) {
      expect({ client: l.room, got: l.got.map((f) => f.content), gaps: l.gaps }).toEqual({ client: l.room, got: sent.get(l.room), gaps: [] });
    }
    // Every library client was drained at least once and came back by itself.
    expect(library.every((l) => l.rejoins >= 1)).toBe(true);
    const resumes = clients.flatMap((c) => c.resumes);
    // Every client was drained at least once (its replica was replaced), and every resume recovered.
    expect(clients.every((c) => c.resumes.length >= 1)).toBe(true);
    expect(resumes.every((r) => r.code === 1012 && r.recovered === true)).toBe(true);
  }, 90_000);
});
