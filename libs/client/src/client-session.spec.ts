import { type FakeSocket, jwtWithExp, sentFrames, useFakeSockets } from '../test/fake-socket';
import type { SwitchboardError } from './errors';
import { SwitchboardClient } from './switchboard-client';
import { refreshDelay, tokenExpiry } from './token';

const settle = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};
const tokenOf = (s: FakeSocket) => new URL(s.url).searchParams.get('token');

describe('SwitchboardClient sessions: failover, tokens, failure', () => {
  let sockets: FakeSocket[];
  beforeEach(() => {
    sockets = useFakeSockets();
    jest.useFakeTimers({ now: 1_800_000_000_000 });
    jest.spyOn(Math, 'random').mockReturnValue(0);
  });
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('spreads over urls: moves on after a drain (1012) or a failed attempt, comes back to the same one after another drop', async () => {
    const client = new SwitchboardClient({ urls: ['ws://a/ws', 'ws://b/ws', 'ws://c/ws'], transports: ['websocket'], initialDelayMs: 10 });
    const events: string[] = [];
    client.on('connecting', ({ url }) => events.push(`connecting ${new URL(url).host}`));
    client.on('connected', ({ url }) => events.push(`connected ${new URL(url).host}`));
    client.on('disconnected', ({ code, willReconnect }) => events.push(`disconnected ${code} ${willReconnect}`));
    const connected = client.connect();
    sockets[0].accept();
    await connected;
    sockets[0].drop(1012);
    jest.advanceTimersByTime(20);
    sockets[1].refuse(503);
    jest.advanceTimersByTime(40);
    sockets[2].accept();
    sockets[2].drop(1006);
    jest.advanceTimersByTime(20);
    expect(sockets.map((s) => new URL(s.url).host)).toEqual(['a', 'b', 'c', 'c']);
    expect(events).toEqual(['connecting a', 'connected a', 'disconnected 1012 true', 'connecting b', 'connecting c', 'connected c', 'disconnected 1006 true', 'connecting c']);
  });

  it('takes the URL from a function for each attempt; connect() rejects once every URL of the list failed once', async () => {
    let n = 0;
    const picked = new SwitchboardClient({ urls: async () => `ws://r${++n}/ws`, transports: ['websocket'], initialDelayMs: 10 });
    void picked.room('lobby').join(); // a join keeps trying (connect() would give up after the one URL failed)
    await settle();
    sockets[0].drop(1006);
    jest.advanceTimersByTime(20);
    await settle();
    expect(sockets.map((s) => new URL(s.url).host)).toEqual(['r1', 'r2']);

    const listed = new SwitchboardClient({ urls: ['ws://a/ws', 'ws://b/ws'], transports: ['websocket'], initialDelayMs: 10 });
    const refused = listed.connect();
    sockets[2].drop(1006);
    jest.advanceTimersByTime(20);
    sockets[3].refuse(503);
    await expect(refused).rejects.toThrow('could not connect to ws://b/ws (HTTP 503)');
    jest.advanceTimersByTime(1000);
    expect(sockets).toHaveLength(4);
  });

  it('asks the token function before every connect and ahead of exp, and refreshes the open connection', async () => {
    const now = Math.floor(Date.now() / 1000);
    const issued = [jwtWithExp(now + 10), jwtWithExp(now + 20), jwtWithExp(now + 40), jwtWithExp(now + 60)];
    let calls = 0;
    const client = new SwitchboardClient({ url: 'ws://h/ws/auth', token: async () => issued[calls++], initialDelayMs: 10 });
    const refreshed: unknown[] = [];
    client.on('refreshed', (r) => refreshed.push(r));
    const connected = client.connect();
    await settle();
    sockets[0].accept();
    await connected;
    expect(tokenOf(sockets[0])).toBe(issued[0]);
    jest.advanceTimersByTime(7499); // 10 s left: refreshed a quarter (2.5 s) ahead of exp
    await settle();
    expect(calls).toBe(1);
    jest.advanceTimersByTime(1);
    await settle();
    expect(sentFrames(sockets[0])).toEqual([{ type: 'refresh', token: issued[1] }]);
    sockets[0].reply({ type: 'refreshed', exp: now + 20 });
    expect(refreshed).toEqual([{ exp: now + 20 }]);
    // The next one follows the new exp, a quarter of what is left ahead of it.
    jest.advanceTimersByTime(refreshDelay(now + 20, Date.now()));
    await settle();
    expect(sentFrames(sockets[0]).pop()).toEqual({ type: 'refresh', token: issued[2] });

    sockets[0].drop(1012); // a reconnect asks the function again
    jest.advanceTimersByTime(20);
    await settle();
    expect(tokenOf(sockets[1])).toBe(issued[3]);
  });

  it('asks the token function again for every attempt, so a browser (which sees 1006, not 401) gets a fresh token after a failure', async () => {
    let calls = 0;
    const client = new SwitchboardClient({ url: 'ws://h/ws/auth', token: () => `t${++calls}`, transports: ['websocket'], initialDelayMs: 10 });
    void client.room('lobby').join();
    sockets[0].drop(1006); // refused, as a browser reports it
    jest.advanceTimersByTime(20);
    sockets[1].drop(1006);
    jest.advanceTimersByTime(40);
    sockets[2].accept();
    expect(sockets.map(tokenOf)).toEqual(['t1', 't2', 't3']);
    expect(client.connected).toBe(true);
  });

  it('a token that expires without a function to renew it: failed once (4003); an expired string token does not even connect', async () => {
    const client = new SwitchboardClient({ url: 'ws://h/ws/auth', token: jwtWithExp(Math.floor(Date.now() / 1000) + 5), initialDelayMs: 10 });
    const failed: SwitchboardError[] = [];
    const publish: Promise<unknown>[] = [];
    client.on('failed', (e) => failed.push(e));
    const joined = client.room('lobby').join();
    sockets[0].accept();
    await settle();
    sockets[0].reply({ type: 'user_list', room: 'lobby', data: ['me'] });
    await joined;
    publish.push(client.room('lobby').publish('unacked'));
    sockets[0].drop(4003);
    jest.advanceTimersByTime(10_000);
    expect(sockets).toHaveLength(1);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ name: 'SwitchboardError', code: 'token_expired', closeCode: 4003 });
    await expect(publish[0]).rejects.toBe(failed[0]);
    await expect(client.room('lobby').publish('after')).rejects.toBe(failed[0]);
    await expect(client.connect()).rejects.toBe(failed[0]);

    const stale = new SwitchboardClient({ url: 'ws://h/ws/auth', token: jwtWithExp(Math.floor(Date.now() / 1000) - 1) });
    await expect(stale.connect()).rejects.toMatchObject({ code: 'token_expired' });
    expect(sockets).toHaveLength(1);
  });

  it('with a token function, 4003 reconnects with a fresh token; 4001 asks once more, then fails; a throwing function fails', async () => {
    let calls = 0;
    const client = new SwitchboardClient({ url: 'ws://h/ws/auth', token: () => `t${++calls}`, initialDelayMs: 10 });
    const failed: SwitchboardError[] = [];
    const unauthorized: unknown[] = [];
    client.on('failed', (e) => failed.push(e));
    client.on('unauthorized', (u) => unauthorized.push(u));
    const connected = client.connect();
    sockets[0].accept();
    await connected;
    sockets[0].drop(4003);
    jest.advanceTimersByTime(20);
    sockets[1].accept();
    sockets[1].drop(4001); // revoked: maybe the function has a new one
    jest.advanceTimersByTime(40);
    expect(sockets.map(tokenOf)).toEqual(['t1', 't2', 't3']);
    sockets[2].refuse(401); // not: for good
    jest.advanceTimersByTime(1000);
    expect(sockets).toHaveLength(3);
    expect(unauthorized).toEqual([{ code: 1006, status: 401 }]);
    expect(failed.map((e) => [e.code, e.message])).toEqual([['unauthorized', 'could not connect to ws://h/ws/auth (HTTP 401): the credential was refused']]);

    const throwing = new SwitchboardClient({
      url: 'ws://h/ws/auth',
      token: async () => {
        throw new Error('login expired');
      },
    });
    const thrown = new Promise<SwitchboardError>((r) => throwing.on('failed', r));
    await expect(throwing.connect()).rejects.toMatchObject({ code: 'token_failed', message: 'the token function failed: login expired' });
    expect(await thrown).toMatchObject({ code: 'token_failed' });
  });

  it('fails once, with a reason, on a broken limit (1008, 1009); every other close reconnects', async () => {
    for (const [code, reason] of [
      [1008, 'rate_limit'],
      [1009, 'message_too_big'],
    ] as const) {
      const client = new SwitchboardClient({ url: 'ws://h/ws', initialDelayMs: 10 });
      const failed: SwitchboardError[] = [];
      client.on('failed', (e) => failed.push(e));
      const connected = client.connect();
      sockets[sockets.length - 1].accept();
      await connected;
      const before = sockets.length;
      sockets[before - 1].drop(code);
      jest.advanceTimersByTime(1000);
      expect(sockets).toHaveLength(before);
      expect(failed.map((e) => [e.code, e.closeCode])).toEqual([[reason, code]]);
    }
    const client = new SwitchboardClient({ url: 'ws://h/ws', initialDelayMs: 10 });
    const connected = client.connect();
    sockets[sockets.length - 1].accept();
    await connected;
    for (const code of [1000, 1001, 1006, 1011, 1012, 1013, 4000]) {
      const before = sockets.length;
      sockets[before - 1].drop(code);
      jest.advanceTimersByTime(20);
      expect(sockets).toHaveLength(before + 1);
      sockets[before].accept();
    }
  });
});

describe('token helpers', () => {
  it('reads exp from a JWT without verifying it; nothing from what is no JWT', () => {
    expect(tokenExpiry(jwtWithExp(1_800_000_000))).toBe(1_800_000_000);
    expect(tokenExpiry('not-a-jwt')).toBeUndefined();
    expect(tokenExpiry('a.%%%.c')).toBeUndefined();
  });

  it('refreshes a quarter of the remaining life ahead of exp, between 1 s and 30 s ahead', () => {
    expect(refreshDelay(10, 0)).toBe(7500);
    expect(refreshDelay(3600, 0)).toBe(3_570_000);
    expect(refreshDelay(2, 0)).toBe(1000);
    expect(refreshDelay(1, 5000)).toBe(0);
  });
});
