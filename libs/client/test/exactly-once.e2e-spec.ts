import { sleep } from '@switchboard/testing';
import { type Published, SwitchboardClient, type SwitchboardError } from '../src/node';
import { TestCluster, token, until } from './cluster';

const RATE = 50;
const SECONDS = 20;
const TOTAL = RATE * SECONDS;
const ROOM = 'exactly-once';

/**
 * Acknowledged publishing through replica losses, on real gateways and Redis: the publisher's
 * replica is drained (SIGTERM, 1012), then the replica it moved to is killed (SIGKILL); every
 * client knows the replicas only through its `urls` list. The server dedups resent ids and the
 * receivers resume their room, so each message reaches each receiver once, in order.
 */
describe('exactly once through a drain and a SIGKILL (3 replicas, urls failover)', () => {
  let cluster: TestCluster;
  const clients: SwitchboardClient[] = [];

  beforeAll(async () => {
    // History deep enough for a receiver away for a few seconds at 50 msg/s.
    cluster = await TestCluster.start(3, { WEBSOCKET_HISTORY_SIZE: '2000' });
  }, 60000);
  afterAll(async () => {
    for (const c of clients) c.close();
    await cluster.stop();
  });

  /** A client whose `urls` list starts at replica `first` (the list is walked from a random index: fixed here). */
  function client(name: string, first: number): SwitchboardClient {
    const urls = cluster.gateways.map((g) => `${g.url}/ws/auth`);
    const random = jest.spyOn(Math, 'random').mockReturnValueOnce(first / urls.length);
    const c = new SwitchboardClient({ urls, token: token(name), initialDelayMs: 100, maxDelayMs: 1000 });
    random.mockRestore();
    clients.push(c);
    return c;
  }

  it('every publish resolves once; every receiver gets every message once, in order', async () => {
    const receivers = Array.from({ length: 5 }, (_, i) => {
      const c = client(`receiver-${i}`, i % 3);
      const got: string[] = [];
      const gaps: unknown[] = [];
      const room = c.room(ROOM);
      room.on('message', (m) => got.push(String(m.content)));
      room.on('gap', (g) => gaps.push(g));
      return { c, got, gaps, room };
    });
    await Promise.all(receivers.map((r) => r.room.join()));

    const publisher = client('publisher', 0);
    const where: string[] = [];
    const failures: SwitchboardError[] = [];
    publisher.on('connected', ({ url }) => where.push(url));
    publisher.on('failed', (e) => failures.push(e));
    const room = publisher.room(ROOM);
    await room.join();
    expect(where).toEqual([`${cluster.gateways[0].url}/ws/auth`]);

    const settled = new Array<number>(TOTAL).fill(0);
    const acks: Array<Published | undefined> = new Array(TOTAL);
    const errors: unknown[] = [];
    const sent: string[] = [];
    const began = Date.now();
    let n = 0;
    const publishing = (async () => {
      while (n < TOTAL) {
        // Catch up to the schedule (timers are coarse on a busy machine).
        const due = Math.min(TOTAL, Math.floor(((Date.now() - began) / 1000) * RATE) + 1);
        for (; n < due; n++) {
          const i = n;
          sent.push(`m${i}`);
          room.publish(`m${i}`).then(
            (ack) => {
              settled[i] += 1;
              acks[i] = ack;
            },
            (err) => {
              settled[i] += 1;
              errors.push([i, err]);
            },
          );
        }
        await sleep(10);
      }
    })();

    await sleep(5000);
    const drained = cluster.gateways[0];
    await drained.stop('SIGTERM');
    await until('the publisher on another replica', 20_000, () => where.length >= 2);
    const moved = cluster.gateways.find((g) => where[1] === `${g.url}/ws/auth`)!;
    expect(moved).not.toBe(drained);
    await sleep(5000);
    await moved.stop('SIGKILL');
    await publishing;

    await until('every publish settled', 60_000, () => settled.every((s) => s > 0), () => `${settled.filter((s) => s === 0).length} unsettled`);
    await until(
      'every message at every receiver',
      60_000,
      () => receivers.every((r) => r.got.length >= TOTAL),
      () => receivers.map((r) => r.got.length).join(' '),
    );
    await sleep(500); // anything arriving twice would arrive now
    expect(errors).toEqual([]);
    expect(failures).toEqual([]);
    expect(settled.every((s) => s === 1)).toBe(true);
    // Acknowledged in order: each message's offset follows the one before it.
    const offsets = acks.map((a) => a!.offset);
    expect(offsets.every((o, i) => i === 0 || o === offsets[i - 1] + 1)).toBe(true);
    for (const r of receivers) {
      expect(r.gaps).toEqual([]);
      expect(r.got).toEqual(sent);
    }
    expect(where.length).toBeGreaterThanOrEqual(3); // drained, killed, and on the last replica
  }, 180_000);
});
