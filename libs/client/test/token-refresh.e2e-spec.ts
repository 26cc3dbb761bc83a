import { signToken, sleep } from '@switchboard/testing';
import { SwitchboardClient, type SwitchboardError } from '../src/node';
import { TestCluster, until } from './cluster';

/** A token for `sub` that expires in `seconds`. */
const shortToken = (sub: string, seconds: number) => signToken({ sub, username: sub }, undefined, seconds);

/**
 * Tokens that expire while connected, on a real gateway: the client's token function renews
 * them on the open connection (`refresh`), so nothing closes; a plain string cannot be renewed,
 * so the server closes at `exp` (4003) and the client fails.
 */
describe('token refresh (real gateway)', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await TestCluster.start(1);
  }, 60000);
  afterAll(async () => {
    await cluster.stop();
  });

  const url = () => `${cluster.gateways[0].url}/ws/auth`;

  it('10 s tokens from a token function over a 25 s session with traffic: no close, nothing lost', async () => {
    let asked = 0;
    const publisher = new SwitchboardClient({
      url: url(),
      token: async () => {
        asked += 1;
        return shortToken('renewing', 10);
      },
    });
    const listener = new SwitchboardClient({ url: url(), token: () => shortToken('listening', 10) });
    const closes: number[] = [];
    const refreshed: number[] = [];
    for (const c of [publisher, listener]) {
      c.on('close', ({ code }) => closes.push(code));
      c.on('refreshed', ({ exp }) => refreshed.push(exp!));
    }
    const got: string[] = [];
    listener.room('refresh').on('message', (m) => got.push(String(m.content)));
    await listener.room('refresh').join();
    const room = publisher.room('refresh');
    await room.join();

    const sent: string[] = [];
    const acked: Array<Promise<unknown>> = [];
    const began = Date.now();
    for (let i = 0; Date.now() - began < 25_000; i++) {
      sent.push(`r${i}`);
      acked.push(room.publish(`r${i}`));
      await sleep(100);
    }
    await Promise.all(acked);
    await until('every message at the listener', 10_000, () => got.length >= sent.length);
    expect(got).toEqual(sent);
    expect(closes).toEqual([]);
    expect(asked).toBeGreaterThanOrEqual(3); // the connect, then at least twice ahead of exp
    expect(refreshed.length).toBeGreaterThanOrEqual(4);
    publisher.close();
    listener.close();
  }, 60000);

  it('without a token function: closed with 4003 at exp, and failed once', async () => {
    const client = new SwitchboardClient({ url: url(), token: shortToken('fixed', 3), initialDelayMs: 50 });
    const failed: SwitchboardError[] = [];
    const closes: number[] = [];
    client.on('failed', (e) => failed.push(e));
    client.on('close', ({ code }) => closes.push(code));
    await client.room('expiring').join();
    const pending = client.room('expiring').publish('too late');
    await until('failed', 10_000, () => failed[0]);
    await sleep(500);
    expect(closes).toEqual([4003]);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ code: 'token_expired', closeCode: 4003 });
    // Published before exp: acknowledged; anything later rejects with the failure.
    await expect(pending).resolves.toMatchObject({ room: 'expiring' });
    await expect(client.room('expiring').publish('after')).rejects.toBe(failed[0]);
  }, 30000);
});
