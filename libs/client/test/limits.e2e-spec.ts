import { type AppProcess, redisGatewayEnv, RedisServer, startAppProcess } from '@switchboard/testing';
import { type Limits, SwitchboardClient, type SwitchboardError } from '../src/node';
import { TEST_SECRET, token, until } from './cluster';

/**
 * The server's limits at their defaults (512-byte frames, 50 frames/s, burst 100), on a real
 * gateway: what closed a client for good before (a 600-character message: 1009; a burst of
 * 200: 1008) now rejects one promise, or waits its turn.
 */
describe('the announced limits (real gateway, default limits)', () => {
  let redis: RedisServer;
  let gateway: AppProcess;

  beforeAll(async () => {
    redis = await RedisServer.start();
    gateway = await startAppProcess('gateway', redisGatewayEnv(redis.url, TEST_SECRET));
  }, 60000);
  afterAll(async () => {
    await gateway.stop('SIGKILL');
    await redis.destroy();
  });

  it('an oversize message rejects alone; a burst of 200 is paced, acknowledged and delivered in order; nothing closes', async () => {
    const url = `${gateway.url}/ws/auth`;
    const client = new SwitchboardClient({ url, token: token('bursty') });
    const listener = new SwitchboardClient({ url, token: token('listening') });
    const closes: number[] = [];
    const failed: SwitchboardError[] = [];
    const limits: Limits[] = [];
    client.on('close', ({ code }) => closes.push(code));
    client.on('failed', (e) => failed.push(e));
    client.on('limits', (l) => limits.push(l));
    const got: string[] = [];
    listener.room('limits').on('message', (m) => got.push(String(m.content)));
    await listener.room('limits').join();
    const room = client.room('limits');
    await room.join();
    expect(limits[0]).toEqual({ maxMessageSize: 512, messageRate: 50, messageBurst: 100 });

    await expect(room.publish('x'.repeat(600))).rejects.toMatchObject({ code: 'message_too_big', message: expect.stringMatching(/at most 512/) });
    const sent = Array.from({ length: 200 }, (_, i) => `burst ${i}`);
    const acks = await Promise.all(sent.map((m) => room.publish(m)));
    expect(acks.map((a) => a.offset)).toEqual(acks.map((_, i) => acks[0].offset + i));
    await until('the burst at the listener', 10_000, () => got.length >= sent.length);
    expect(got).toEqual(sent);
    expect({ closes, failed }).toEqual({ closes: [], failed: [] });
    expect(client.connected).toBe(true);
    client.close();
    listener.close();
  }, 30000);
});
