import { BUS, type Bus } from '@switchboard/bus';
import { Topics } from '@switchboard/protocol';
import { signToken, TestClient, upgradeStatus } from '@switchboard/testing';
import { startTestGateway } from './support/gateway';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Seed 003's WebSocket side: the channels dialect on /api/v1/ws, one namespace with rooms. */
describe('channels dialect (seed 003)', () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  const clients: TestClient[] = [];
  const open = async (path: string) => {
    const c = await TestClient.connect(`${gw.url}${path}`);
    clients.push(c);
    return c;
  };
  const token = (sub: string, email: string) => signToken({ sub, username: sub, email });

  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await gw.app.close();
  });

  it('needs a JWT: a bare User-Email header is not an identity', async () => {
    expect((await upgradeStatus(`${gw.url}/api/v1/ws?channel_id=general`, { headers: { 'User-Email': 'user@example.com' } })).status).toBe(401);
    expect((await upgradeStatus(`${gw.url}/api/v1/ws?channel_id=bad%20id&token=${token('u', 'u@x.io')}`)).status).toBe(400);
  });

  it('joins ?channel_id on connect, join_channel / leave_channel / ping with ISO timestamps', async () => {
    const user = await open(`/api/v1/ws?channel_id=general&token=${token('u1', 'user@example.com')}`);
    const joined = await user.next('channel_joined');
    expect(joined).toMatchObject({ type: 'channel_joined', channel_id: 'general', user_email: 'user@example.com' });
    expect(joined.timestamp).toMatch(ISO);

    user.send({ type: 'join_channel', channel_id: 'random' });
    expect(await user.next('channel_joined')).toMatchObject({ channel_id: 'random' });

    const other = await open(`/api/v1/ws?token=${token('u2', 'other@example.com')}`);
    other.send({ type: 'join_channel', channel_id: 'general' });
    await other.next('channel_joined');
    expect(await user.next((f) => f.type === 'channel_joined' && f.user_email === 'other@example.com')).toMatchObject({ channel_id: 'general' });

    user.send({ type: 'leave_channel', channel_id: 'random' });
    expect(await user.next('channel_left')).toMatchObject({ type: 'channel_left', channel_id: 'random', user_email: 'user@example.com' });

    const pong = await user.ask({ type: 'ping' }, 'pong');
    expect(pong.timestamp).toMatch(ISO);

    user.send({ type: 'join', room: 'general' });
    expect(await user.next('error')).toMatchObject({ type: 'error', code: 'unknown_type' });
    user.send({ type: 'join_channel' });
    expect(await user.next('error')).toMatchObject({ code: 'bad_field' });
  });

  it('renders a lifecycle event once per dialect: seed 003 shape on /api/v1/ws, rooms dialect on /ws', async () => {
    const channel = await open(`/api/v1/ws?channel_id=general&token=${token('u1', 'user@example.com')}`);
    await channel.next('channel_joined');
    const rooms = await open(`/ws/general?user_id=roomie`);
    await rooms.next('user_list');
    const elsewhere = await open(`/api/v1/ws?channel_id=other&token=${token('u3', 'x@example.com')}`);
    await elsewhere.next('channel_joined');

    const data = { id: 'msg123', channel_id: 'general', user_email: 'user@example.com', content: 'Hello world!', created_at: '2024-01-01T12:00:00.000Z' };
    await gw.app.get<Bus>(BUS).publish(Topics.room('general'), { kind: 'new_message', room: 'general', data, ts: Date.now() });

    const seen = await channel.next('new_message');
    expect(seen).toMatchObject({ type: 'new_message', channel_id: 'general', data });
    expect(seen.timestamp).toMatch(ISO);
    const inRooms = await rooms.next('new_message');
    expect(inRooms).toMatchObject({ type: 'new_message', room: 'general', data });
    expect(typeof inRooms.timestamp).toBe('number');
    await elsewhere.none('new_message');

    // Live chat from a rooms-dialect client reaches channel members too.
    rooms.send({ type: 'message', room: 'general', content: 'hi from /ws' });
    expect(await channel.next('message')).toMatchObject({ channel_id: 'general', content: 'hi from /ws', username: 'roomie' });
  });
});
