import { signToken, TestClient, until } from '@switchboard/testing';
import { startTestGateway } from './support/gateway';

/** Seeds 001 and 002, message for message, against one real gateway with real ws clients. */
describe('rooms dialect (seeds 001 and 002)', () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  const clients: TestClient[] = [];
  const connect = async (path: string, options = {}) => {
    const c = await TestClient.connect(`${gw.url}${path}`, options);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await gw.app.close();
  });

  it('runs seed 001: /ws/room1 and /ws + join, chat, join/leave notices, user_list, ping/pong', async () => {
    const alice = await connect(`/ws/room1?token=${signToken({ sub: 'u-alice', username: 'alice' })}`);
    // The seed's client sends join on open even though the path already joined.
    alice.send({ type: 'join', room: 'room1' });
    const list1 = await alice.next('user_list');
    expect(list1).toMatchObject({ type: 'user_list', room: 'room1', data: ['alice'] });

    const bob = await connect('/ws', { headers: { Authorization: `Bearer ${signToken({ sub: 'u-bob', preferred_username: 'bob' })}` } });
    bob.send({ type: 'join', room: 'room1' });
    const list2 = await bob.next('user_list');
    expect((list2.data as string[]).sort()).toEqual(['alice', 'bob']);
    expect(await alice.next('join')).toMatchObject({ type: 'join', room: 'room1', username: 'bob', user_id: 'u-bob' });

    alice.send({ type: 'message', room: 'room1', content: 'Hello, world!' });
    for (const c of [alice, bob]) {
      const m = await c.next('message');
      expect(m).toMatchObject({ type: 'message', room: 'room1', content: 'Hello, world!', username: 'alice', user_id: 'u-alice' });
      expect(typeof m.timestamp).toBe('number');
      expect(Math.abs((m.timestamp as number) - Date.now() / 1000)).toBeLessThan(5);
    }
    bob.send({ type: 'message', room: 'room1', content: 'hi alice' });
    expect(await alice.next('message')).toMatchObject({ content: 'hi alice', username: 'bob' });

    expect(await alice.ask({ type: 'ping' }, 'pong')).toMatchObject({ type: 'pong' });
    expect(await bob.ask({ type: 'user_list', room: 'room1' }, 'user_list')).toMatchObject({ room: 'room1' });

    bob.send({ type: 'leave', room: 'room1' });
    expect(await alice.next('leave')).toMatchObject({ type: 'leave', room: 'room1', username: 'bob' });
    // Bob left: he gets nothing more from room1, and cannot send to it.
    alice.send({ type: 'message', room: 'room1', content: 'after bob left' });
    expect(await alice.next('message')).toMatchObject({ content: 'after bob left' });
    await bob.none('message');
    bob.send({ type: 'message', room: 'room1', content: 'ghost' });
    expect(await bob.next('error')).toMatchObject({ data: { code: 'not_in_room' } });

    // Closing the socket announces the leave too.
    await connect('/ws/room1?user_id=carol');
    expect(await alice.next('join')).toMatchObject({ username: 'carol' });
    await clients[clients.length - 1].close();
    expect(await alice.next('leave')).toMatchObject({ username: 'carol', room: 'room1' });
  });

  it('runs seed 002: ?user_id=, join_room, room_message with data {room, message}, private_message', async () => {
    const u123 = await connect('/ws?user_id=user123');
    u123.send({ type: 'join_room', data: 'room1' });
    expect(await u123.next('user_list')).toMatchObject({ room: 'room1', data: ['user123'] });
    const u456 = await connect('/ws?user_id=user456');
    u456.send({ type: 'join_room', data: 'room1' });
    await u456.next('user_list');

    u456.send({ type: 'room_message', data: { room: 'room1', message: 'Hello room!' } });
    for (const c of [u123, u456]) {
      const m = await c.next('room_message');
      expect(m).toMatchObject({
        type: 'room_message',
        room: 'room1',
        data: { room: 'room1', message: 'Hello room!', user_id: 'user456' },
        user_id: 'user456',
      });
    }

    u456.send({ type: 'private_message', user_id: 'user123', content: 'Hello user!' });
    expect(await u123.next('private_message')).toMatchObject({ type: 'private_message', content: 'Hello user!', user_id: 'user456' });
    await u456.none('private_message');

    u123.send({ type: 'leave_room', data: 'room1' });
    expect(await u456.next('leave')).toMatchObject({ user_id: 'user123' });
  });

  it('puts both kinds of client in one room, each hearing the other in its own dialect', async () => {
    const chat = await connect('/ws/mixed?user_id=seed1');
    await chat.next('user_list');
    const hub = await connect('/ws?user_id=seed2');
    hub.send({ type: 'join_room', data: 'mixed' });
    await hub.next('user_list');

    chat.send({ type: 'message', room: 'mixed', content: 'from seed 1' });
    expect(await hub.next('room_message')).toMatchObject({ data: { room: 'mixed', message: 'from seed 1', user_id: 'seed1' } });
    expect(await chat.next('message')).toMatchObject({ content: 'from seed 1' });

    hub.send({ type: 'room_message', data: { room: 'mixed', message: 'from seed 2' } });
    expect(await chat.next('message')).toMatchObject({ type: 'message', content: 'from seed 2', username: 'seed2' });

    // A structured room_message reaches seed-1 clients as data, with its text as content.
    hub.send({ type: 'room_message', data: { room: 'mixed', message: { kind: 'emoji', value: ':)' } } });
    const structured = await chat.next('message');
    expect(structured.data).toEqual({ kind: 'emoji', value: ':)' });
    expect(JSON.parse(structured.content as string)).toEqual({ kind: 'emoji', value: ':)' });
  });

  it('lets one connection be in many rooms and keeps their traffic apart', async () => {
    const a = await connect('/ws?user_id=multi');
    a.send({ type: 'join', room: 'r-a' });
    await a.next('user_list');
    a.send({ type: 'join', room: 'r-b' });
    await a.next('user_list');
    const b = await connect('/ws/r-b?user_id=only-b');
    await b.next('user_list');

    a.send({ type: 'message', room: 'r-a', content: 'to a' });
    a.send({ type: 'message', room: 'r-b', content: 'to b' });
    expect(await b.next('message')).toMatchObject({ room: 'r-b', content: 'to b' });
    await b.none((f) => f.type === 'message' && f.room === 'r-a');
    const got = [await a.next('message'), await a.next('message')].map((m) => m.room).sort();
    expect(got).toEqual(['r-a', 'r-b']);
  });

  it('empties rooms when their last member leaves', async () => {
    const a = await connect('/ws/ephemeral?user_id=solo');
    await a.next('user_list');
    const watcher = await connect('/ws?user_id=watcher');
    expect(await watcher.ask({ type: 'user_list', room: 'ephemeral' }, 'user_list')).toMatchObject({ data: ['solo'] });
    await a.close();
    await until('the emptied room listed with no members', 5000, async () => ((await watcher.ask({ type: 'user_list', room: 'ephemeral' }, 'user_list')).data as string[]).length === 0);
  });
});
