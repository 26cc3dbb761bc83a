import { type FakeSocket, sentFrames, useFakeSockets } from '../test/fake-socket';
import { SwitchboardClient } from './switchboard-client';

/** Lets promise chains run (fake timers leave microtasks alone). */
const settle = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('SwitchboardClient publish and rooms', () => {
  let sockets: FakeSocket[];
  beforeEach(() => {
    sockets = useFakeSockets();
    jest.useFakeTimers();
    jest.spyOn(Math, 'random').mockReturnValue(0);
  });
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  /** A client in room `lobby` (joined through the room object, which connects by itself). */
  async function inLobby(options: Partial<ConstructorParameters<typeof SwitchboardClient>[0]> = {}) {
    const client = new SwitchboardClient({ url: 'ws://h/ws/auth', token: 't', initialDelayMs: 10, ...options });
    const room = client.room('lobby');
    const joined = room.join();
    expect(client.room('lobby')).toBe(room);
    sockets[sockets.length - 1].accept();
    await settle();
    sockets[sockets.length - 1].reply({ type: 'user_list', room: 'lobby', data: ['me'], offset: 0, epoch: 'e' });
    await joined;
    return { client, room, socket: sockets[sockets.length - 1] };
  }

  it('resolves each publish once, on its ack; resends the unacknowledged ones with their ids after a reconnect, after the re-join', async () => {
    const { room, socket } = await inLobby();
    const one = room.publish('one');
    const two = room.publish('two');
    const [, first, second] = sentFrames(socket);
    expect(first).toEqual({ type: 'message', room: 'lobby', content: 'one', id: expect.any(String) });
    expect(second).toMatchObject({ type: 'message', content: 'two' });
    expect(first.id).not.toBe(second.id);
    const resolved: unknown[] = [];
    void one.then((r) => resolved.push(r));
    socket.reply({ type: 'ack', id: first.id, room: 'lobby', offset: 1, epoch: 'e' });
    socket.reply({ type: 'ack', id: first.id, room: 'lobby', offset: 1, epoch: 'e' }); // a repeat settles nothing more
    await settle();
    expect(resolved).toEqual([{ id: first.id, room: 'lobby', offset: 1, epoch: 'e' }]);

    socket.drop(1006);
    const three = room.publish('three'); // while disconnected: queued
    jest.advanceTimersByTime(20);
    sockets[1].accept();
    await settle();
    expect(sentFrames(sockets[1])).toEqual([{ type: 'join', room: 'lobby', since: { offset: 0, epoch: 'e' } }]); // nothing before the room is back
    sockets[1].reply({ type: 'user_list', room: 'lobby', data: ['me'], offset: 1, epoch: 'e', recovered: true });
    await settle();
    const again = sentFrames(sockets[1]).slice(1);
    expect(again.map((f) => [f.content, f.id])).toEqual([
      ['two', second.id],
      ['three', expect.any(String)],
    ]);
    sockets[1].reply({ type: 'ack', id: second.id, room: 'lobby', offset: 2, epoch: 'e' });
    sockets[1].reply({ type: 'ack', id: again[1].id, room: 'lobby', offset: 3, epoch: 'e' });
    await expect(two).resolves.toMatchObject({ offset: 2 });
    await expect(three).resolves.toMatchObject({ offset: 3 });
  });

  it('bounds the queue (maxQueued) and rejects a publish not acknowledged within publishTimeoutMs', async () => {
    const { client, room, socket } = await inLobby({ maxQueued: 2, publishTimeoutMs: 1000 });
    const a = room.publish('a');
    const b = room.publish('b');
    await expect(room.publish('c')).rejects.toMatchObject({ name: 'SwitchboardError', code: 'queue_full', room: 'lobby' });
    socket.reply({ type: 'ack', id: sentFrames(socket)[1].id, room: 'lobby', offset: 1, epoch: 'e' });
    await expect(a).resolves.toMatchObject({ offset: 1 });
    expect(client.queued).toBe(1);
    jest.advanceTimersByTime(1000);
    await expect(b).rejects.toMatchObject({ code: 'timeout' });
    expect(client.queued).toBe(0);
  });

  it('checks size and paces the rate against the announced limits: one oversize message rejects alone', async () => {
    const { room, socket } = await inLobby();
    socket.reply({ type: 'limits', max_message_size: 120, message_rate: 10, message_burst: 4 });
    await expect(room.publish('x'.repeat(100))).rejects.toMatchObject({ code: 'message_too_big', message: expect.stringMatching(/at most 120/) });
    const sent = () => sentFrames(socket).filter((f) => f.type === 'message').length;
    const all = Array.from({ length: 5 }, (_, i) => room.publish(`m${i}`));
    expect(sent()).toBe(2); // half the burst at once
    jest.advanceTimersByTime(100);
    expect(sent()).toBe(3); // then the rate: one per 100 ms
    jest.advanceTimersByTime(200);
    expect(sent()).toBe(5);
    const frames = sentFrames(socket).filter((f) => f.type === 'message');
    expect(frames.map((f) => f.content)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    frames.forEach((f, i) => socket.reply({ type: 'ack', id: f.id, room: 'lobby', offset: i + 1, epoch: 'e' }));
    expect((await Promise.all(all)).map((p) => p.offset)).toEqual([1, 2, 3, 4, 5]);
  });

  it('rejects a publish to a room not joined, and the waiting ones of a room left; a refusal naming an id rejects that publish', async () => {
    const { client, room, socket } = await inLobby();
    await expect(client.room('elsewhere').publish('x')).rejects.toMatchObject({ code: 'not_in_room', room: 'elsewhere' });
    const refused = room.publish('no');
    const id = sentFrames(socket)[1].id;
    socket.reply({ type: 'error', content: 'not allowed', data: { code: 'forbidden' }, re: 'message', room: 'lobby', id });
    await expect(refused).rejects.toMatchObject({ code: 'forbidden', message: 'not allowed', room: 'lobby' });
    const pending = room.publish('left behind');
    await room.leave();
    await expect(pending).rejects.toMatchObject({ code: 'not_in_room' });
    expect(sentFrames(socket).pop()).toEqual({ type: 'leave', room: 'lobby' });
  });

  it('asks each connection for the limits first (?limits=1); a passing refusal writes the room\'s unacknowledged publishes again', async () => {
    const { client, room, socket } = await inLobby();
    const errors: unknown[] = [];
    client.on('error', (e) => errors.push(e));
    expect(new URL(socket.url).searchParams.get('limits')).toBe('1');
    const one = room.publish('one');
    const two = room.publish('two');
    const [first, second] = sentFrames(socket).slice(1);
    socket.reply({ type: 'ack', id: first.id, room: 'lobby', offset: 1, epoch: 'e' });
    socket.reply({ type: 'error', content: 'rate limit exceeded', data: { code: 'rate_limited' }, re: 'message', room: 'lobby' });
    jest.advanceTimersByTime(500);
    expect(sentFrames(socket).slice(3)).toEqual([second]); // the same frame, the same id
    socket.reply({ type: 'ack', id: second.id, room: 'lobby', offset: 2, epoch: 'e' });
    await expect(one).resolves.toMatchObject({ offset: 1 });
    await expect(two).resolves.toMatchObject({ offset: 2 });
    expect(errors).toHaveLength(1);

    // The server names only the first frame of a run of drops: every one of them goes again.
    const [three, four] = [room.publish('three'), room.publish('four')];
    const [third, fourth] = sentFrames(socket).slice(-2);
    socket.reply({ type: 'error', content: 'rate limit exceeded', data: { code: 'rate_limited' }, re: 'message', room: 'lobby', id: third.id });
    jest.advanceTimersByTime(500);
    expect(sentFrames(socket).slice(-2)).toEqual([third, fourth]);
    socket.reply({ type: 'ack', id: third.id, room: 'lobby', offset: 3, epoch: 'e' });
    socket.reply({ type: 'ack', id: fourth.id, room: 'lobby', offset: 4, epoch: 'e' });
    await expect(Promise.all([three, four])).resolves.toMatchObject([{ offset: 3 }, { offset: 4 }]);
  });

  it('asks a join again when the connection drops before its confirmation; a refused join rejects the publishes made meanwhile', async () => {
    const client = new SwitchboardClient({ url: 'ws://h/ws/auth', initialDelayMs: 10 });
    const room = client.room('lobby');
    const joined = room.join();
    const early = room.publish('before the confirmation');
    sockets[0].accept();
    await settle();
    sockets[0].drop(1012);
    jest.advanceTimersByTime(20);
    sockets[1].accept();
    await settle();
    expect(sentFrames(sockets[1])).toEqual([{ type: 'join', room: 'lobby' }]);
    sockets[1].reply({ type: 'user_list', room: 'lobby', data: ['me'], offset: 3, epoch: 'e' });
    await expect(joined).resolves.toMatchObject({ type: 'user_list', room: 'lobby' });
    await settle();
    const [, message] = sentFrames(sockets[1]);
    expect(message).toMatchObject({ type: 'message', content: 'before the confirmation' });
    sockets[1].reply({ type: 'ack', id: message.id, room: 'lobby', offset: 4, epoch: 'e' });
    await expect(early).resolves.toMatchObject({ offset: 4 });

    const vip = client.room('vip');
    const refused = vip.join();
    const waiting = vip.publish('never');
    await settle();
    sockets[1].reply({ type: 'error', content: 'not allowed to join room "vip"', data: { code: 'forbidden' }, re: 'join', room: 'vip' });
    await expect(refused).rejects.toMatchObject({ code: 'forbidden', message: 'not allowed to join room "vip"' });
    await expect(waiting).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('presents the resume token of the room\'s newest confirmation when it resumes', async () => {
    const client = new SwitchboardClient({ url: 'ws://h/ws/auth', initialDelayMs: 10 });
    const joined = client.room('lobby').join();
    sockets[0].accept();
    await settle();
    sockets[0].reply({ type: 'user_list', room: 'lobby', data: ['me'], offset: 2, epoch: 'e', resume_token: 'rt-1' });
    await joined;
    sockets[0].reply({ type: 'message', room: 'lobby', content: 'm3', offset: 3, epoch: 'e' });
    sockets[0].drop(1006);
    jest.advanceTimersByTime(20);
    sockets[1].accept();
    expect(sentFrames(sockets[1])).toEqual([{ type: 'join', room: 'lobby', since: { offset: 3, epoch: 'e', resume_token: 'rt-1' } }]);
    sockets[1].reply({ type: 'user_list', room: 'lobby', data: ['me'], offset: 3, epoch: 'e', recovered: true, resume_token: 'rt-2' });
    await settle();
    sockets[1].drop(1006);
    jest.advanceTimersByTime(20);
    sockets[2].accept();
    expect(sentFrames(sockets[2])).toEqual([{ type: 'join', room: 'lobby', since: { offset: 3, epoch: 'e', resume_token: 'rt-2' } }]);
  });

  it('passes each room its own messages, the comings and goings of others, and gaps', async () => {
    const { client, room, socket } = await inLobby();
    const other = client.room('other');
    const seen: string[] = [];
    room.on('message', (m) => seen.push(`lobby:${m.content}`));
    other.on('message', (m) => seen.push(`other:${m.content}`));
    room.on('join', (f) => seen.push(`join:${f.username}`));
    room.on('leave', (f) => seen.push(`leave:${f.username}`));
    room.on('presence', (f) => seen.push(`presence:${f.type}`));
    room.on('gap', (g) => seen.push(`gap:${g.after?.offset}-${g.position?.offset}`));
    socket.reply({ type: 'join', room: 'lobby', user_id: 'u2', username: 'bo' });
    socket.reply({ type: 'message', room: 'lobby', content: 'hi', offset: 1, epoch: 'e' });
    socket.reply({ type: 'message', room: 'other', content: 'not joined but routed', offset: 1, epoch: 'e' });
    socket.reply({ type: 'message', room: 'lobby', content: 'hi', offset: 1, epoch: 'e' }); // already passed on
    socket.reply({ type: 'leave', room: 'lobby', user_id: 'u2', username: 'bo' });
    socket.reply({ type: 'user_list', room: 'lobby', data: ['me'], offset: 0, epoch: 'e2', recovered: false });
    expect(seen).toEqual([
      'presence:join',
      'join:bo',
      'lobby:hi',
      'other:not joined but routed',
      'presence:leave',
      'leave:bo',
      'gap:1-0',
    ]);
  });
});
