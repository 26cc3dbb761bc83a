import { bearer, rest, TestClient, until } from '@switchboard/testing';
import { type Standalone, startStandalone } from './support/standalone';

/** Seed 003 end to end on the standalone server: REST writes, live events, history. */
describe('messages and lifecycle events (seed 003)', () => {
  let sa: Standalone;
  let call: ReturnType<typeof rest>;
  const tokens: Record<string, string> = {};
  const clients: TestClient[] = [];

  beforeAll(async () => {
    sa = await startStandalone({ SERVICE_USERS: 'ops' });
    call = rest(sa.http);
    for (const name of ['user', 'other', 'ops']) {
      await call('POST', '/auth/register', { username: name, password: 'secret123', email: `${name}@example.com` });
      tokens[name] = (await call('POST', '/auth/login', { username: name, password: 'secret123' })).body.access_token;
    }
  }, 30000);
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await sa.app.close();
  });

  const connect = async (path: string) => {
    const c = await TestClient.connect(`${sa.url}${path}`);
    clients.push(c);
    return c;
  };

  it('publishes new_message, message_updated and message_deleted to the channel, in both dialects', async () => {
    const ws = await connect(`/api/v1/ws?channel_id=general&token=${tokens.user}`);
    await ws.next('channel_joined');
    const roomsClient = await connect('/ws/general?user_id=watcher');
    await roomsClient.next('user_list');
    const elsewhere = await connect(`/api/v1/ws?channel_id=random&token=${tokens.other}`);
    await elsewhere.next('channel_joined');

    const created = await call('POST', '/api/v1/messages', { channel_id: 'general', content: 'Hello world!' }, bearer(tokens.user));
    expect(created.status).toBe(201);
    const msg = created.body.data;
    expect(msg).toMatchObject({ id: expect.any(String), channel_id: 'general', user_email: 'user@example.com', content: 'Hello world!', created_at: expect.any(String) });

    const live = await ws.next('new_message');
    expect(live).toMatchObject({ type: 'new_message', channel_id: 'general', data: { id: msg.id, content: 'Hello world!', user_email: 'user@example.com', created_at: msg.created_at } });
    expect(await roomsClient.next('new_message')).toMatchObject({ room: 'general', data: { id: msg.id } });

    const edited = await call('PATCH', `/api/v1/messages/${msg.id}`, { content: 'Updated message' }, bearer(tokens.user));
    expect(edited.status).toBe(200);
    expect(await ws.next('message_updated')).toMatchObject({ data: { id: msg.id, content: 'Updated message' } });

    const deleted = await call('DELETE', `/api/v1/messages/${msg.id}`, undefined, bearer(tokens.user));
    expect(deleted.status).toBe(200);
    expect(await ws.next('message_deleted')).toMatchObject({ channel_id: 'general', data: { id: msg.id, channel_id: 'general', user_email: 'user@example.com' } });
    await elsewhere.none((f) => /message/.test(f.type));
  });

  it('lets only the author edit or delete (403), answers 404 for unknown ids and 400 for bad bodies', async () => {
    const mine = (await call('POST', '/api/v1/messages', { channel_id: 'general', content: 'mine' }, bearer(tokens.user))).body.data;
    expect((await call('PATCH', `/api/v1/messages/${mine.id}`, { content: 'hijack' }, bearer(tokens.other))).status).toBe(403);
    expect((await call('DELETE', `/api/v1/messages/${mine.id}`, undefined, bearer(tokens.other))).status).toBe(403);
    expect((await call('PATCH', '/api/v1/messages/no-such-id', { content: 'x' }, bearer(tokens.user))).status).toBe(404);
    expect((await call('DELETE', '/api/v1/messages/no-such-id', undefined, bearer(tokens.user))).status).toBe(404);
    const history = (await call('GET', '/api/v1/channels/general/messages', undefined, bearer(tokens.user))).body.data;
    expect(history.find((m: { id: string }) => m.id === mine.id).content).toBe('mine');

    for (const [body, reason] of [
      [{ content: 'x' }, /"channel_id" is required/],
      [{ channel_id: 'general' }, /"content" is required/],
      [{ channel_id: 'bad channel', content: 'x' }, /"channel_id" must be/],
      [{ channel_id: 'general', content: 'x'.repeat(4001) }, /at most 4000/],
      [{ channel_id: 'general', content: 'x'.repeat(90_000) }, /"content" must be at most 4000 characters/],
      [{ channel_id: 7, content: 'x' }, /"channel_id" must be a string/],
      [{ channel_id: 'general', content: { text: 'x' } }, /"content" must be a string/],
      [{ channel_id: 'general', content: 'x', user_id: 'someone-else' }, /unknown field "user_id"/],
    ] as const) {
      const res = await call('POST', '/api/v1/messages', body, bearer(tokens.user));
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(reason);
    }
    expect((await call('POST', '/api/v1/messages', { channel_id: 'general', content: 'x' })).status).toBe(401);
  });

  it('returns history newest first, paged with limit and before', async () => {
    for (let i = 0; i < 7; i++) await call('POST', '/api/v1/messages', { channel_id: 'paged', content: `m${i}` }, bearer(tokens.user));
    const first = await call('GET', '/api/v1/channels/paged/messages?limit=3', undefined, bearer(tokens.user));
    expect(first.body.data.map((m: { content: string }) => m.content)).toEqual(['m6', 'm5', 'm4']);
    const second = await call('GET', `/api/v1/channels/paged/messages?limit=3&before=${first.body.next_before}`, undefined, bearer(tokens.user));
    expect(second.body.data.map((m: { content: string }) => m.content)).toEqual(['m3', 'm2', 'm1']);
    const third = await call('GET', `/api/v1/channels/paged/messages?limit=3&before=${second.body.next_before}`, undefined, bearer(tokens.user));
    expect(third.body.data.map((m: { content: string }) => m.content)).toEqual(['m0']);
    expect(third.body.next_before).toBeNull();
    expect((await call('GET', '/api/v1/channels/paged/messages?limit=0', undefined, bearer(tokens.user))).status).toBe(400);
    expect((await call('GET', '/api/v1/channels/paged/messages?limit=abc', undefined, bearer(tokens.user))).status).toBe(400);
  });

  it('counts clients and channels in /api/v1/ws/stats, and lists rooms and their clients', async () => {
    const a = await connect(`/api/v1/ws?channel_id=stats-a&token=${tokens.user}`);
    await a.next('channel_joined');
    const b = await connect(`/ws/stats-a?user_id=sb`);
    await b.next('user_list');
    const c = await connect(`/ws/stats-b?user_id=sc`);
    await c.next('user_list');
    // Connection counts reach presence within 100 ms.
    const stats = await until('three clients counted in /api/v1/ws/stats', 5000, async () => {
      const res = await call('GET', '/api/v1/ws/stats');
      return res.body?.data?.total_clients === 3 ? res : undefined;
    });
    expect(stats.body).toMatchObject({ success: true, data: { total_clients: 3, channels: { 'stats-a': 2, 'stats-b': 1 } } });
    const rooms = await call('GET', '/api/v1/rooms', undefined, bearer(tokens.user));
    expect(rooms.body.data).toMatchObject({ count: 2, rooms: { 'stats-a': 2, 'stats-b': 1 } });
    const members = await call('GET', '/api/v1/rooms/stats-a/clients', undefined, bearer(tokens.user));
    expect(members.body.data.clients.map((m: { username: string }) => m.username).sort()).toEqual(['sb', 'user']);
    expect((await call('GET', '/api/v1/rooms')).status).toBe(401);
  });

  it('publishes server-side only with the broadcast permission, to the right clients only', async () => {
    const inRoom = await connect('/ws/news?user_id=reader');
    await inRoom.next('user_list');
    const outside = await connect('/ws?user_id=outsider');
    const target = await connect(`/ws/auth?token=${tokens.other}`);

    const denied = await call('POST', '/broadcast', { data: 'nope' }, bearer(tokens.user));
    expect(denied.status).toBe(403);
    await outside.none('notification', 150);

    expect((await call('POST', '/broadcast', { type: 'notification', data: 'Hello from server!' }, bearer(tokens.ops))).status).toBe(202);
    for (const c of [inRoom, outside, target]) expect(await c.next('notification')).toMatchObject({ data: 'Hello from server!' });

    expect((await call('POST', '/api/v1/rooms/news/broadcast', { data: 'Hello room!' }, bearer(tokens.ops))).status).toBe(202);
    expect(await inRoom.next('room_message')).toMatchObject({ room: 'news', data: 'Hello room!' });
    await outside.none('room_message');

    const otherId = (await call('GET', '/auth/me', undefined, bearer(tokens.other))).body.user_id;
    const dm = await call('POST', `/api/v1/users/${otherId}/messages`, { data: 'Hello user!' }, bearer(tokens.ops));
    expect(dm.body).toEqual({ success: true, data: { replicas: 1, delivered: true } });
    expect(await target.next('private_message')).toMatchObject({ data: 'Hello user!' });
    await inRoom.none('private_message');

    // Seed 002: a guest who named itself with ?user_id= is reachable too.
    await call('POST', '/api/v1/users/reader/messages', { content: 'hi reader' }, bearer(tokens.ops));
    expect(await inRoom.next('private_message')).toMatchObject({ content: 'hi reader' });

    for (const [path, body] of [
      ['/broadcast', { type: 'notification' }],
      ['/broadcast', { type: 'bogus', data: 1 }],
      ['/api/v1/rooms/news/broadcast', 'not json'],
      ['/api/v1/users/x/messages', {}],
      ['/api/v1/users/x/messages', { content: 42 }],
      ['/broadcast', { data: 1, room: 'news' }],
    ] as const) {
      expect((await call('POST', path, body, bearer(tokens.ops))).status).toBe(400);
    }
    await inRoom.none((f) => f.type !== 'pong', 200);
  });
});
