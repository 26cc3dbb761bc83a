import { type AppProcess, redisGatewayEnv, RedisServer, startAppProcess, TEST_SECRET, TestClient, until } from '@switchboard/testing';

const entries = (logs: string[]) => logs.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);

/** A real gateway process on a real Redis that goes away: what its log says meanwhile. */
describe('logs during a bus outage', () => {
  let redis: RedisServer;
  let gw: AppProcess;
  let client: TestClient | undefined;

  beforeAll(async () => {
    redis = await RedisServer.start();
    gw = await startAppProcess('gateway', redisGatewayEnv(redis.url, TEST_SECRET));
  }, 30000);
  afterAll(async () => {
    await client?.close();
    await gw?.stop('SIGKILL');
    await redis?.destroy();
  });

  it('writes a repeated failure once, then one line per interval counting the rest', async () => {
    client = await TestClient.connect(`${gw.url}/ws/outage?user_id=talker`);
    await client.next('user_list');
    await redis.stop();
    await until('the gateway to report unready', 5000, async () => (await fetch(`${gw.http}/health/ready`)).status === 503);
    const sent = 40;
    for (let i = 0; i < sent; i++) client.send({ type: 'message', room: 'outage', content: `m${i}` });
    for (let i = 0; i < sent; i++) expect(await client.next('error')).toMatchObject({ data: { code: 'unavailable' } });

    const failures = () => entries(gw.logs).filter((e) => e.msg === 'publish failed');
    // Each failure is in the log: written, or counted in a later line's `repeated`.
    const counted = () => failures().reduce((n, e) => n + (typeof e.repeated === 'number' ? e.repeated : 1), 0);
    await until(`a line counting the ${sent} failed publishes`, 20_000, () => counted() >= sent, () => JSON.stringify(failures()));
    // One line per kind of failure (the first), plus the count at the end of the interval.
    expect(failures().length).toBeLessThanOrEqual(4);
    expect(failures().some((e) => typeof e.repeated === 'number' && e.repeated > 1)).toBe(true);
    await redis.start();
  }, 40000);
});
