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
    expect(limits[0]).toEqual({ maxMessageSize: 512, messageRate: 50, messageBurst: 100, joinCost: 2, resumeCost: 4, userListCost: 4 });

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

  it('joins 40 rooms and resumes all of them after a reconnect: joins and resumes weigh 2 and 4 frames, and the client paces them', async () => {
    const rooms = Array.from({ length: 40 }, (_, i) => `many-${i}`);
    const client = new SwitchboardClient({ url: `${gateway.url}/ws/auth`, token: token('many-rooms'), initialDelayMs: 50, maxDelayMs: 200 });
    const failedJoins: unknown[] = [];
    const errors: unknown[] = [];
    client.on('rejoin_failed', (e) => failedJoins.push(e));
    client.on('error', (e) => errors.push(e));
    await Promise.all(rooms.map((r) => client.room(r).join()));
    const publisher = new SwitchboardClient({ url: `${gateway.url}/ws/auth`, token: token('many-publisher') });
    for (const r of rooms) await publisher.room(r).join();
    await Promise.all(rooms.map((r) => publisher.room(r).publish(`before ${r}`)));

    // The server ends the connection (as a dead network would): the client reconnects and resumes every room.
    const got = new Map<string, string[]>(rooms.map((r) => [r, []]));
    for (const r of rooms) client.room(r).on('message', (m) => got.get(r)!.push(String(m.content)));
    let rejoined = 0;
    client.on('rejoined', (back: string[]) => (rejoined = back.length));
    (client as unknown as { ws: { terminate(): void } }).ws.terminate();
    await until('every room rejoined', 30_000, () => rejoined >= rooms.length || failedJoins.length > 0, () => `(${rejoined} rejoined)`);
    await Promise.all(rooms.map((r) => publisher.room(r).publish(`after ${r}`)));
    await until('a message in every room after the resume', 15_000, () => rooms.every((r) => got.get(r)!.includes(`after ${r}`)));
    expect({ failedJoins, errors }).toEqual({ failedJoins: [], errors: [] });
    client.close();
    publisher.close();
  }, 60000);
});
