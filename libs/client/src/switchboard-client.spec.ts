import { type FakeSocket, sentFrames, useFakeSockets } from '../test/fake-socket';
import { SwitchboardClient, SwitchboardError } from './switchboard-client';

describe('SwitchboardClient reconnect policy', () => {
  let sockets: FakeSocket[];
  beforeEach(() => {
    sockets = useFakeSockets();
    jest.useFakeTimers();
  });

  /** Connects `client` and accepts the socket it opened. */
  async function open(client: SwitchboardClient): Promise<void> {
    const connecting = client.connect();
    sockets[sockets.length - 1].accept();
    await connecting;
  }
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('backs off exponentially with full jitter up to the cap, and rejoins after reconnecting', async () => {
    const random = jest.spyOn(Math, 'random').mockReturnValue(0.999);
    const client = new SwitchboardClient({ url: 'ws://h/ws/auth', token: 't', transports: ['websocket'], initialDelayMs: 100, maxDelayMs: 1000 });
    const delays: number[] = [];
    client.on('reconnecting', ({ delayMs }) => delays.push(delayMs));
    await open(client);
    expect(sockets[0].url).toBe('ws://h/ws/auth?token=t&limits=1'); // the server announces its limits first
    const joined = client.join('lobby');
    sockets[0].reply({ type: 'user_list', room: 'lobby', data: ['me'] });
    await joined;

    sockets[0].drop(1012);
    for (let i = 1; i <= 5; i++) {
      jest.advanceTimersByTime(delays[i - 1] + 1);
      sockets[i].drop(1006); // the replica is not back yet
    }
    expect(delays).toEqual([99, 199, 399, 799, 999, 999]); // min(1000, 100 × 2^n), full-jitter draw near its top
    random.mockReturnValue(0);
    jest.advanceTimersByTime(1000);
    const rejoined = new Promise<string[]>((r) => client.once('rejoined', r));
    sockets[6].accept();
    expect(JSON.parse(sockets[6].sent[0])).toEqual({ type: 'join', room: 'lobby' });
    sockets[6].reply({ type: 'user_list', room: 'lobby', data: ['me'] });
    expect(await rejoined).toEqual(['lobby']);

    sockets[6].drop(1012);
    expect(delays[6]).toBe(0); // the backoff restarted after a successful connect, jitter drew 0
  });

  it('does not reconnect after close() or a policy close', async () => {
    const client = new SwitchboardClient({ url: 'ws://h/ws', transports: ['websocket'], initialDelayMs: 10 });
    await open(client);
    sockets[0].drop(1008);
    jest.advanceTimersByTime(1000);
    expect(sockets).toHaveLength(1);

    const closing = new SwitchboardClient({ url: 'ws://h/ws', transports: ['websocket'], initialDelayMs: 10 });
    const reconnects: number[] = [];
    closing.on('reconnecting', ({ attempt }) => reconnects.push(attempt));
    await open(closing);
    closing.close();
    jest.advanceTimersByTime(1000);
    expect(sockets).toHaveLength(2);
    expect(closing.connected).toBe(false);

    // Closed while a reconnect was pending: the pending one is called off too.
    const pending = new SwitchboardClient({ url: 'ws://h/ws', initialDelayMs: 1000 });
    pending.on('reconnecting', ({ attempt }) => reconnects.push(attempt));
    jest.spyOn(Math, 'random').mockReturnValue(0.5);
    await open(pending);
    sockets[2].drop(1006);
    expect(reconnects).toEqual([1]); // only the drop scheduled a reconnect, not close()
    pending.close();
    jest.advanceTimersByTime(5000);
    expect(sockets).toHaveLength(3);
    expect(pending.connected).toBe(false);
  });

  it('resumes each room from the last message it saw, passes nothing on twice, and says when there is a gap', async () => {
    jest.spyOn(Math, 'random').mockReturnValue(0);
    const client = new SwitchboardClient({ url: 'ws://h/ws/auth', initialDelayMs: 10 });
    const seen: string[] = [];
    const gaps: unknown[] = [];
    client.on('message', (f) => seen.push(String(f.content)));
    client.on('gap', (g) => gaps.push(g));
    await open(client);
    for (const room of ['a', 'b']) {
      const joined = client.join(room);
      sockets[0].reply({ type: 'user_list', room, data: ['me'], epoch: 'e1', offset: 4 });
      await joined;
    }
    sockets[0].reply({ type: 'message', room: 'a', content: 'a5', offset: 5, epoch: 'e1' });
    sockets[0].reply({ type: 'message', room: 'a', content: 'a6', offset: 6, epoch: 'e1' });

    sockets[0].drop(1012);
    jest.advanceTimersByTime(20);
    const rejoined = new Promise<string[]>((r) => client.once('rejoined', r));
    sockets[1].accept();
    expect(sentFrames(sockets[1])).toEqual([
      { type: 'join', room: 'a', since: { offset: 6, epoch: 'e1' } },
      { type: 'join', room: 'b', since: { offset: 4, epoch: 'e1' } },
    ]);
    sockets[1].reply({ type: 'user_list', room: 'a', data: ['me'], epoch: 'e1', offset: 8, recovered: true });
    sockets[1].reply({ type: 'message', room: 'a', content: 'a6', offset: 6, epoch: 'e1' }); // already had it
    sockets[1].reply({ type: 'message', room: 'a', content: 'a7', offset: 7, epoch: 'e1' });
    sockets[1].reply({ type: 'message', room: 'a', content: 'a8', offset: 8, epoch: 'e1' });
    sockets[1].reply({ type: 'user_list', room: 'b', data: ['me'], epoch: 'e2', offset: 1, recovered: false });
    expect(await rejoined).toEqual(['a', 'b']);
    expect(seen).toEqual(['a5', 'a6', 'a7', 'a8']);
    expect(gaps).toEqual([{ room: 'b', after: { offset: 4, epoch: 'e1' }, position: { offset: 1, epoch: 'e2' } }]);

    // After the gap the room goes on from its new position.
    sockets[1].drop(1012);
    jest.advanceTimersByTime(20);
    sockets[2].accept();
    expect(JSON.parse(sockets[2].sent[1])).toEqual({ type: 'join', room: 'b', since: { offset: 1, epoch: 'e2' } });
  });

  it('passes on a gap the server reports for a room it stayed connected to, and goes on from there', async () => {
    const client = new SwitchboardClient({ url: 'ws://h/ws/auth' });
    const gaps: unknown[] = [];
    const seen: string[] = [];
    client.on('gap', (g) => gaps.push(g));
    client.on('message', (f) => seen.push(String(f.content)));
    await open(client);
    const joined = client.join('a');
    sockets[0].reply({ type: 'user_list', room: 'a', data: ['me'], epoch: 'e1', offset: 7 });
    await joined;
    sockets[0].reply({ type: 'user_list', room: 'a', data: ['me'], epoch: 'e2', offset: 0, recovered: false });
    sockets[0].reply({ type: 'message', room: 'a', content: 'new1', offset: 1, epoch: 'e2' });
    expect(gaps).toEqual([{ room: 'a', after: { offset: 7, epoch: 'e1' }, position: { offset: 0, epoch: 'e2' } }]);
    expect(seen).toEqual(['new1']);
  });

  it('matches a join error to that join only: one refused room is dropped and said, the others are rejoined', async () => {
    jest.spyOn(Math, 'random').mockReturnValue(0);
    const client = new SwitchboardClient({ url: 'ws://h/ws/auth', initialDelayMs: 10 });
    const failed: Array<{ room: string; error: Error }> = [];
    const errors: unknown[] = [];
    client.on('rejoin_failed', (f) => failed.push(f));
    client.on('error', (f) => errors.push(f.data));
    await open(client);
    for (const room of ['a', 'b', 'c']) {
      const joined = client.join(room);
      sockets[0].reply({ type: 'user_list', room, data: ['me'] });
      await joined;
    }

    sockets[0].drop(1012);
    jest.advanceTimersByTime(20);
    const rejoined = new Promise<string[]>((r) => client.once('rejoined', r));
    sockets[1].accept();
    expect(sockets[1].sent).toHaveLength(3);
    // A say refused meanwhile, then b is full: neither touches the joins of a and c.
    sockets[1].reply({ type: 'error', content: 'rate limit exceeded', data: { code: 'rate_limited' }, re: 'message', room: 'a' });
    sockets[1].reply({ type: 'user_list', room: 'a', data: ['me'] });
    sockets[1].reply({ type: 'error', content: 'room full: "b" has 2 members', data: { code: 'room_full' }, re: 'join', room: 'b' });
    sockets[1].reply({ type: 'user_list', room: 'c', data: ['me'] });
    expect(await rejoined).toEqual(['a', 'c']);
    expect(failed).toHaveLength(1);
    expect(failed[0].room).toBe('b');
    expect(failed[0].error).toBeInstanceOf(SwitchboardError);
    expect(failed[0].error).toMatchObject({ code: 'room_full', room: 'b', message: 'room full: "b" has 2 members' });
    expect(client.rooms).toEqual(['a', 'c']);
    expect(errors).toEqual([{ code: 'rate_limited' }, { code: 'room_full' }]);

    // The next reconnect does not ask for b again.
    sockets[1].drop(1012);
    jest.advanceTimersByTime(20);
    sockets[2].accept();
    expect(sentFrames(sockets[2]).map((f) => f.room)).toEqual(['a', 'c']);
  });

  it('rejects a join with the error that names it, in the channels dialect too', async () => {
    const client = new SwitchboardClient({ url: 'ws://h/api/v1/ws', token: 't' });
    await open(client);
    const general = client.join('general');
    const secret = client.join('secret');
    sockets[0].reply({ type: 'error', message: 'not allowed', code: 'forbidden', re: 'join_channel', channel_id: 'secret' });
    sockets[0].reply({ type: 'channel_joined', channel_id: 'general', user_email: 'a@x' });
    await expect(general).resolves.toMatchObject({ type: 'channel_joined' });
    await expect(secret).rejects.toMatchObject({ name: 'SwitchboardError', code: 'forbidden', room: 'secret' });
    expect(client.rooms).toEqual(['general']);
  });

  it('stops reconnecting when the session is revoked (4001) and says so', async () => {
    const client = new SwitchboardClient({ url: 'ws://h/ws/auth', token: 't', initialDelayMs: 10 });
    const unauthorized: unknown[] = [];
    const reconnects: number[] = [];
    client.on('unauthorized', (u) => unauthorized.push(u));
    client.on('reconnecting', ({ attempt }) => reconnects.push(attempt));
    await open(client);
    sockets[0].drop(4001);
    jest.advanceTimersByTime(10_000);
    expect(sockets).toHaveLength(1);
    expect(reconnects).toEqual([]);
    expect(unauthorized).toEqual([{ code: 4001, status: undefined }]);
  });

  it('stops reconnecting when the handshake is refused with 401, and rejects a first connect saying so', async () => {
    jest.spyOn(Math, 'random').mockReturnValue(0);
    const client = new SwitchboardClient({ url: 'ws://h/ws/auth', token: 't', transports: ['websocket'], initialDelayMs: 10 });
    const unauthorized: unknown[] = [];
    client.on('unauthorized', (u) => unauthorized.push(u));
    await open(client);
    sockets[0].drop(1012);
    jest.advanceTimersByTime(20);
    sockets[1].refuse(503); // not back yet: go on trying
    jest.advanceTimersByTime(40);
    expect(sockets).toHaveLength(3);
    sockets[2].refuse(401);
    jest.advanceTimersByTime(10_000);
    expect(sockets).toHaveLength(3);
    expect(unauthorized).toEqual([{ code: 1006, status: 401 }]);

    const fresh = new SwitchboardClient({ url: 'ws://h/ws/auth', token: 'old' });
    const refused = fresh.connect();
    sockets[3].refuse(401);
    await expect(refused).rejects.toThrow('could not connect to ws://h/ws/auth (HTTP 401)');
  });
});
