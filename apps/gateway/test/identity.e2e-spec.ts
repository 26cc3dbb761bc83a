import { signToken, TestClient } from '@switchboard/testing';
import { startTestGateway } from './support/gateway';

/** Security is part of correct: who a client is comes from its credential, and nothing else. */
describe('identity and authorisation', () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  const clients: TestClient[] = [];
  const as = async (claims: Record<string, unknown>, path = '/ws/auth') => {
    const c = await TestClient.connect(`${gw.url}${path}?token=${signToken(claims)}`);
    clients.push(c);
    return c;
  };
  const join = async (c: TestClient, room: string) => c.ask({ type: 'join', room }, 'user_list');

  beforeAll(async () => {
    gw = await startTestGateway({ WEBSOCKET_MAX_ROOM_MEMBERS: '3', WEBSOCKET_CONNECT_BURST: '1000' });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await gw.app.close();
  });

  it('ignores user_id and username a token holder puts in a frame', async () => {
    const mallory = await as({ sub: 'mallory', username: 'mallory' });
    const alice = await as({ sub: 'alice', username: 'alice' });
    await join(mallory, 'spoof');
    await join(alice, 'spoof');
    mallory.send({ type: 'message', room: 'spoof', content: 'I am alice', user_id: 'alice', username: 'alice' });
    expect(await alice.next('message')).toMatchObject({ content: 'I am alice', user_id: 'mallory', username: 'mallory' });
  });

  it('delivers private_message to every connection of the target user and nobody else', async () => {
    const bobPhone = await as({ sub: 'bob', username: 'bob' });
    const bobLaptop = await as({ sub: 'bob', username: 'bob' });
    const carol = await as({ sub: 'carol', username: 'carol' });
    const sender = await as({ sub: 'dave', username: 'dave' });
    sender.send({ type: 'private_message', user_id: 'bob', content: 'for bob only' });
    for (const c of [bobPhone, bobLaptop]) {
      expect(await c.next('private_message')).toMatchObject({ content: 'for bob only', user_id: 'dave', username: 'dave' });
    }
    await carol.none('private_message');
    await sender.none('private_message');
    sender.send({ type: 'private_message', user_id: 'nobody-here', content: 'x' });
    expect(await sender.next('error')).toMatchObject({ data: { code: 'user_offline' } });
  });

  it('never lets a guest claiming a user id read that user\'s private messages', async () => {
    const realBob = await as({ sub: 'bob2', username: 'bob2' });
    const fakeBob = await TestClient.connect(`${gw.url}/ws?user_id=bob2`);
    clients.push(fakeBob);
    const sender = await as({ sub: 'erin', username: 'erin' });
    sender.send({ type: 'private_message', user_id: 'bob2', content: 'secret' });
    expect(await realBob.next('private_message')).toMatchObject({ content: 'secret' });
    await fakeBob.none('private_message');
  });

  it('refuses broadcast without the permission and delivers it to everyone with it', async () => {
    const plain = await as({ sub: 'p1' });
    const guest = await TestClient.connect(`${gw.url}/ws?user_id=someone`);
    clients.push(guest);
    plain.send({ type: 'broadcast', data: 'hello all' });
    expect(await plain.next('error')).toMatchObject({ data: { code: 'forbidden' } });
    guest.send({ type: 'broadcast', data: 'hello all' });
    expect(await guest.next('error')).toMatchObject({ data: { code: 'forbidden' } });
    await plain.none('notification', 100);

    const admin = await as({ sub: 'admin', username: 'admin', permissions: ['broadcast'] });
    admin.send({ type: 'broadcast', data: { title: 'maintenance' } });
    for (const c of [plain, guest, admin]) {
      expect(await c.next('notification')).toMatchObject({ type: 'notification', data: { title: 'maintenance' }, username: 'admin' });
    }
  });

  it('refuses to join rooms the token does not allow, and the client stays out of them', async () => {
    const limited = await as({ sub: 'lim', username: 'lim', rooms: ['public-*'] });
    const insider = await as({ sub: 'in', username: 'insider' });
    await join(insider, 'private-room');
    limited.send({ type: 'join', room: 'private-room' });
    expect(await limited.next('error')).toMatchObject({ data: { code: 'forbidden' } });
    limited.send({ type: 'user_list', room: 'private-room' });
    expect(await limited.next('error')).toMatchObject({ data: { code: 'forbidden' } });
    insider.send({ type: 'message', room: 'private-room', content: 'insiders only' });
    await insider.next('message');
    await limited.none('message');
    limited.send({ type: 'message', room: 'private-room', content: 'let me in' });
    expect(await limited.next('error')).toMatchObject({ data: { code: 'not_in_room' } });
    expect(await join(limited, 'public-news')).toMatchObject({ room: 'public-news', data: ['lim'] });
  });

  it('answers "room full" past WEBSOCKET_MAX_ROOM_MEMBERS and keeps the room as it was', async () => {
    const members = await Promise.all([1, 2, 3].map((i) => as({ sub: `m${i}`, username: `m${i}` })));
    for (const m of members) await join(m, 'small');
    const late = await as({ sub: 'late', username: 'late' });
    late.send({ type: 'join', room: 'small' });
    const err = await late.next('error');
    expect(err.content).toMatch(/room full/);
    expect(err.data).toEqual({ code: 'room_full' });
    expect((await members[0].ask({ type: 'user_list', room: 'small' }, 'user_list')).data).toHaveLength(3);
  });
});
