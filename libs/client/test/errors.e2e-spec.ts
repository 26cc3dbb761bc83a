import { type AppProcess, redisGatewayEnv, RedisServer, startAppProcess } from '@switchboard/testing';
import { SignalingClient, type SignalingError, SwitchboardClient } from '../src/node';
import { TEST_SECRET, token } from './cluster';

/**
 * Errors reach the request they answer, against a real gateway: error frames name the frame
 * they answer (`re`, and its room), and the clients match them by that, not by order.
 */
describe('client error matching (real gateway)', () => {
  let redis: RedisServer;
  let gateway: AppProcess;

  beforeAll(async () => {
    redis = await RedisServer.start();
    // Six frames at once (a join counting as one), then about one a minute; rooms of one member.
    // The chat client paces its joins at half the burst: three go at once.
    const limits = { WEBSOCKET_MESSAGE_BURST: '6', WEBSOCKET_MESSAGE_RATE: '0.02', WEBSOCKET_JOIN_COST: '1', WEBSOCKET_MAX_ROOM_MEMBERS: '1' };
    gateway = await startAppProcess('gateway', redisGatewayEnv(redis.url, TEST_SECRET, limits));
  }, 60000);
  afterAll(async () => {
    await gateway.stop('SIGKILL');
    await redis.destroy();
  });

  const signaling = (who: string) => SignalingClient.connect(`${gateway.url}/signaling`, { token: token(who) }, { timeoutMs: 5000 });

  it('rejects a rate-limited create_room; relay errors before it stay events', async () => {
    const client = await signaling('sid');
    const events: SignalingError[] = [];
    client.on('error', (e) => events.push(e));
    for (let i = 0; i < 6; i++) client.signal('offer', 42, {}); // not in a room: not_in_room each, and the burst is spent
    await expect(client.createRoom()).rejects.toMatchObject({ name: 'SignalingError', code: 'rate_limited', re: 'create_room' });
    expect(events.map((e) => [e.code, e.re])).toEqual(Array.from({ length: 6 }, () => ['not_in_room', 'offer']));
    client.close();
  });

  it('a relay error does not fail the joinRoom sent after it', async () => {
    const host = await signaling('hana');
    const room = await host.createRoom();
    const guest = await signaling('gus');
    const events: SignalingError[] = [];
    guest.on('error', (e) => events.push(e));
    guest.signal('offer', host.clientId, {}); // refused: the guest is in no room yet
    await expect(guest.joinRoom(room)).resolves.toEqual([host.clientId]);
    expect(events.map((e) => e.code)).toEqual(['not_in_room']);
    host.close();
    guest.close();
  });

  it('rejects only the join of the room that is full; the parallel joins succeed', async () => {
    const first = new SwitchboardClient({ url: `${gateway.url}/ws/auth`, token: token('fay') });
    await first.connect();
    await first.join('full');
    const client = new SwitchboardClient({ url: `${gateway.url}/ws/auth`, token: token('zed') });
    await client.connect();
    const results = await Promise.allSettled(['a', 'full', 'b'].map((room) => client.join(room)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ name: 'SwitchboardError', code: 'room_full', room: 'full' });
    expect(client.rooms).toEqual(['a', 'b']);
    first.close();
    client.close();
  });
});
