import { sleep } from '@switchboard/testing';
import { type Room, SwitchboardClient } from '../src/node';
import { type TestCluster, token, until } from './cluster';

export const RATE = 50;
export const SECONDS = 20;
export const TOTAL = RATE * SECONDS;
export const ROOM = 'exactly-once';

/** What became of each publish: how often it settled, the offset it was acknowledged at, why it failed. */
export interface Outcome {
  settled: number[];
  offsets: Array<number | null>;
  errors: string[];
  failures: string[];
}

/** The publishing client under test, in Node or in a browser page. */
export interface Publisher {
  /** Joins ROOM through `urls`, starting at the first one. */
  join(urls: string[], jwt: string): Promise<void>;
  /** Publishes m0…m(total-1) at `rate` a second; resolves once the last was handed to `publish()`. */
  run(total: number, rate: number): Promise<void>;
  /** The URLs it connected to, in order. */
  where(): Promise<string[]>;
  outcome(): Promise<Outcome>;
  close(): Promise<void>;
}

/**
 * A client whose `urls` list starts at replica `first` (the list is walked from a random
 * index: fixed here, so the test knows which replica to take away).
 */
export function clientAt(urls: string[], first: number, jwt: string): SwitchboardClient {
  const random = jest.spyOn(Math, 'random').mockReturnValueOnce(first / urls.length);
  try {
    return new SwitchboardClient({ urls, token: jwt, initialDelayMs: 100, maxDelayMs: 1000 });
  } finally {
    random.mockRestore();
  }
}

/**
 * Publishes m0…m(total-1) to `room` at `rate` a second, recording each outcome. Self-contained
 * (it uses nothing from outside its body), so a browser page runs the same loop from its source.
 */
export async function publishLoop(room: Pick<Room, 'publish'>, outcome: Outcome, total: number, rate: number): Promise<void> {
  outcome.settled = new Array(total).fill(0);
  outcome.offsets = new Array(total).fill(null);
  const began = Date.now();
  for (let n = 0; n < total; ) {
    // Catch up to the schedule (timers are coarse on a busy machine).
    for (const due = Math.min(total, Math.floor(((Date.now() - began) / 1000) * rate) + 1); n < due; n++) {
      const i = n;
      room.publish(`m${i}`).then(
        (ack) => {
          outcome.settled[i] += 1;
          outcome.offsets[i] = ack.offset;
        },
        (err: Error) => {
          outcome.settled[i] += 1;
          outcome.errors.push(`m${i}: ${err.message}`);
        },
      );
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The publisher in this process. */
export function nodePublisher(): Publisher {
  let client: SwitchboardClient;
  const where: string[] = [];
  const outcome: Outcome = { settled: [], offsets: [], errors: [], failures: [] };
  return {
    async join(urls, jwt) {
      client = clientAt(urls, 0, jwt);
      client.on('connected', ({ url }) => where.push(url));
      client.on('failed', (e) => outcome.failures.push(`${e.code}: ${e.message}`));
      await client.room(ROOM).join();
    },
    run: (total, rate) => publishLoop(client.room(ROOM), outcome, total, rate),
    where: async () => where,
    outcome: async () => outcome,
    close: async () => client.close(),
  };
}

/**
 * Acknowledged publishing through replica losses, on 3 real gateways and Redis: the
 * publisher's replica is drained (SIGTERM, 1012) 5 s in, then the replica it moved to is
 * killed (SIGKILL) 5 s later; every client knows the replicas only through its `urls` list.
 * Each publish must settle exactly once, acknowledged in order, and each of 5 receivers
 * spread over the replicas must get every message once, in order, with no gap.
 */
export async function exactlyOnceThroughReplicaLoss(cluster: TestCluster, publisher: Publisher): Promise<void> {
  const urls = cluster.gateways.map((g) => `${g.url}/ws/auth`);
  const receivers = Array.from({ length: 5 }, (_, i) => {
    const client = clientAt(urls, i % urls.length, token(`receiver-${i}`));
    const got: string[] = [];
    const gaps: unknown[] = [];
    const room = client.room(ROOM);
    room.on('message', (m) => got.push(String(m.content)));
    room.on('gap', (g) => gaps.push(g));
    return { client, got, gaps, room };
  });
  try {
    await Promise.all(receivers.map((r) => r.room.join()));
    await publisher.join(urls, token('publisher'));
    expect(await publisher.where()).toEqual([urls[0]]);

    const running = publisher.run(TOTAL, RATE);
    await sleep(5000);
    const drained = cluster.gateways[0];
    await drained.stop('SIGTERM');
    const moved = await until('the publisher on another replica', 20_000, async () => (await publisher.where())[1]);
    const killed = cluster.gateways[urls.indexOf(moved)];
    expect(killed).not.toBe(drained);
    await sleep(5000);
    await killed.stop('SIGKILL');
    await running;

    const sent = Array.from({ length: TOTAL }, (_, i) => `m${i}`);
    await until('every publish settled', 60_000, async () => (await publisher.outcome()).settled.every((s) => s > 0));
    await until(
      'every message at every receiver',
      60_000,
      () => receivers.every((r) => r.got.length >= TOTAL),
      () => receivers.map((r) => r.got.length).join(' '),
    );
    await sleep(500); // anything arriving twice would arrive now
    const { settled, offsets, errors, failures } = await publisher.outcome();
    expect({ errors, failures }).toEqual({ errors: [], failures: [] });
    expect(settled.filter((s) => s !== 1)).toEqual([]);
    // Acknowledged in order: each message's offset follows the one before it.
    expect(offsets.filter((o, i) => i > 0 && o !== offsets[i - 1]! + 1)).toEqual([]);
    for (const r of receivers) expect({ got: r.got, gaps: r.gaps }).toEqual({ got: sent, gaps: [] });
    expect((await publisher.where()).length).toBeGreaterThanOrEqual(3); // drained, killed, and on the last replica
  } finally {
    for (const r of receivers) r.client.close();
    await publisher.close();
  }
}
