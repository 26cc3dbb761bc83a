import { type HistoryRead, MemoryBroker, MemoryBus } from '@switchboard/bus';
import { MemoryPresence, MemoryPresenceStore } from '@switchboard/presence';
import { channelsCodec, type HubEvent, type Reply, roomsHubCodec, type StreamPosition } from '@switchboard/protocol';
import { sleep } from '@switchboard/testing';
import { type FakeConn, started, testReplica } from './testing';

/** Replicas whose rooms stop sending notices above 5 members. */
const replica = (...[broker, store, env = {}, ...rest]: Parameters<typeof testReplica>) =>
  testReplica(broker, store, { WEBSOCKET_PRESENCE_EVENTS_MAX_MEMBERS: '5', ...env }, ...rest);

const settle = () => sleep(20);
const names = (reply: Reply) => (reply.kind === 'user_list' ? [...reply.names].sort() : []);

describe('membership and messaging (two replicas on the memory bus)', () => {
  const broker = new MemoryBroker();
  const store = new MemoryPresenceStore();
  const [a, b] = started(replica(broker, store), replica(broker, store));

  it('answers user_list from its roster with members of both replicas, and notifies joins and leaves', async () => {
    const alice = await a.connect('alice');
    const bob = await b.connect('bob');
    expect(names(await a.membership.join(alice, 'small', 'chat'))).toEqual(['alice']);
    expect(names(await b.membership.join(bob, 'small', 'chat'))).toEqual(['alice', 'bob']);
    await settle();
    expect(alice.got).toContainEqual(expect.objectContaining({ type: 'join', room: 'small', username: 'bob' }));
    expect(bob.got.filter((f) => f.type === 'join')).toEqual([]); // not told about itself
    expect(names(await a.membership.list(alice, 'small'))).toEqual(['alice', 'bob']);

    await b.membership.leave(bob, 'small');
    await settle();
    expect(alice.got).toContainEqual(expect.objectContaining({ type: 'leave', room: 'small', username: 'bob' }));
    expect(names(await a.membership.list(alice, 'small'))).toEqual(['alice']);
  });

  it('above WEBSOCKET_PRESENCE_EVENTS_MAX_MEMBERS sends no notices and caps user_list with the total', async () => {
    const conns: FakeConn[] = [];
    for (let i = 0; i < 12; i++) {
      const r = i % 2 === 0 ? a : b;
      const conn = await r.connect(`u${i}`);
      await r.membership.join(conn, 'big', 'chat');
      conns.push(conn);
    }
    await settle();
    const first = conns[0];
    // u0 heard joins only while the room had at most 5 members: u1..u4.
    expect(first.got.filter((f) => f.type === 'join').map((f) => f.username)).toEqual(['u1', 'u2', 'u3', 'u4']);
    for (const r of [a, b]) {
      const list = await r.membership.list(first, 'big');
      expect(list).toMatchObject({ kind: 'user_list', total: 12 });
      expect(list.kind === 'user_list' && list.names.length).toBe(5);
    }
    // Chat still reaches every member on both replicas.
    a.messaging.say(first, 'big', 'hello', undefined);
    await settle();
    for (const c of conns) expect(c.got).toContainEqual(expect.objectContaining({ type: 'message', content: 'hello' }));
    // Leaves keep the rosters true on both replicas.
    for (const c of conns.slice(5)) await (conns.indexOf(c) % 2 === 0 ? a : b).membership.leave(c, 'big');
    await settle();
    for (const r of [a, b]) {
      const list = await r.membership.list(first, 'big');
      expect(names(list)).toEqual(['u0', 'u1', 'u2', 'u3', 'u4']);
      expect(list).not.toHaveProperty('total');
    }
  });

  it('joins with mustExist only a room that has members, in the same presence write', async () => {
    const erin = await a.connect('erin');
    await expect(a.membership.join(erin, 'nobody-here', 'chat', { mustExist: true })).rejects.toMatchObject({ code: 'no_such_room' });
    expect(erin.rooms.has('nobody-here')).toBe(false);
    expect(names(await a.membership.list(erin, 'nobody-here'))).toEqual([]);
    const fred = await b.connect('fred');
    await b.membership.join(fred, 'somebody-here', 'chat');
    expect(names(await a.membership.join(erin, 'somebody-here', 'chat', { mustExist: true }))).toEqual(['erin', 'fred']);
  });

  it('counts every join that took effect by style, whatever the dialect, and not a refused one', async () => {
    const count = async (style: string) => (await a.metrics.joins.get()).values.find((v) => v.labels.style === style)?.value ?? 0;
    const [chat, hub, channel] = [await count('chat'), await count('hub'), await count('channel')];
    const gil = await a.connect('gil');
    await a.membership.join(gil, 'counted', 'chat');
    await a.membership.join(gil, 'counted-2', 'hub');
    const hal = await a.connect('hal', channelsCodec);
    await a.membership.join(hal, 'counted', 'channel');
    await expect(a.membership.join(hal, 'no-such-room', 'channel', { mustExist: true })).rejects.toMatchObject({ code: 'no_such_room' });
    expect([await count('chat'), await count('hub'), await count('channel')]).toEqual([chat + 1, hub + 1, channel + 1]);
  });

  it('a room this replica is not in is listed from presence', async () => {
    const carol = await a.connect('carol');
    await a.membership.join(carol, 'elsewhere', 'chat');
    const dave = await b.connect('dave');
    expect(names(await b.membership.list(dave, 'elsewhere'))).toEqual(['carol']);
  });
});

describe('membership when presence is down', () => {
  /** Presence whose Redis refuses every command. */
  class DownPresence extends MemoryPresence {
    override add(): Promise<number> {
      return Promise.reject(new Error('connect ECONNREFUSED'));
    }
    override members(): Promise<never> {
      return Promise.reject(new Error('connect ECONNREFUSED'));
    }
  }
  const store = new MemoryPresenceStore();
  const [r] = started(replica(new MemoryBroker(), store, {}, new DownPresence(60_000, store)));

  it('a join or a member list answers unavailable, logged and counted, and the joiner is in no room', async () => {
    const ann = await r.connect('ann');
    await expect(r.membership.join(ann, 'lobby', 'chat')).rejects.toMatchObject({ code: 'unavailable', message: 'presence unavailable; try again' });
    expect(ann.rooms.size).toBe(0);
    await expect(r.membership.list(ann, 'lobby')).rejects.toMatchObject({ code: 'unavailable', message: 'presence unavailable; try again' });
    const metrics = await r.metrics.registry.metrics();
    expect(metrics).toMatch(/switchboard_bus_errors_total\{op="presence add"\} 1\b/);
    expect(metrics).toMatch(/switchboard_bus_errors_total\{op="presence members"\} 1\b/);
  });
});

describe('messaging after a bus outage', () => {
  /**
   * One replica's Redis connections drop (the others' stay up): nothing is delivered to it and
   * its reads fail while down, while the other replica's publishes still land in the history.
   */
  class FlakyBus extends MemoryBus {
    down = false;
    override isReady(): boolean {
      return !this.down && super.isReady();
    }
    override enqueue(topic: string, event: HubEvent): void {
      if (!this.down) super.enqueue(topic, event);
    }
    override history(topic: string, since?: StreamPosition): Promise<HistoryRead | undefined> {
      return this.down ? Promise.reject(new Error('connection closed')) : super.history(topic, since);
    }
  }
  class FlakyPresence extends MemoryPresence {
    override setConnections(nodeId: string, n: number): Promise<void> {
      return flaky.down ? Promise.reject(new Error('connection closed')) : super.setConnections(nodeId, n);
    }
  }
  const broker = new MemoryBroker({ size: 100, ttlMs: 60_000 });
  const store = new MemoryPresenceStore();
  const flaky = new FlakyBus(broker);
  const env = { WEBSOCKET_HEARTBEAT_INTERVAL: '100ms' };
  const [a, b] = started(replica(broker, store, env, new FlakyPresence(60_000, store), flaky), replica(broker, store, env));

  it('members that stayed connected get what they missed once each, in order, in their own dialect, then live traffic', async () => {
    const chat = await a.connect('chat-member');
    const hubStyle = await a.connect('hub-member', roomsHubCodec);
    const writer = await b.connect('writer');
    await a.membership.join(chat, 'outage', 'chat');
    await a.membership.join(hubStyle, 'outage', 'hub');
    await b.membership.join(writer, 'outage', 'chat');
    b.messaging.say(writer, 'outage', 'm1', undefined);
    await settle();

    flaky.down = true;
    b.messaging.say(writer, 'outage', 'm2', undefined);
    b.messaging.say(writer, 'outage', 'm3', undefined);
    // Down long enough for the replica to notice (it watches the bus every 200 ms).
    await sleep(500);
    expect(chat.got.filter((f) => f.type === 'message').map((f) => f.content)).toEqual(['m1']);

    flaky.down = false;
    const deadline = Date.now() + 3000;
    while (!chat.got.some((f) => f.content === 'm3') && Date.now() < deadline) await settle();
    b.messaging.say(writer, 'outage', 'm4', undefined);
    await settle();
    const seen = (c: FakeConn) => c.got.filter((f) => f.type === 'message' || f.type === 'room_message').map((f) => [f.type, f.content ?? (f.data as { message: string }).message, f.offset]);
    const expected = (type: string) => ['m1', 'm2', 'm3', 'm4'].map((m, i) => [type, m, i + 1]);
    expect(seen(chat)).toEqual(expected('message'));
    expect(seen(hubStyle)).toEqual(expected('room_message'));
    // Nothing told them of a gap (a repeated user_list with recovered: false): history held everything they missed.
    expect(chat.got.filter((f) => f.type === 'user_list')).toEqual([]);
  });
});

describe('acknowledged publish (two replicas on one memory broker with history)', () => {
  const broker = new MemoryBroker({ size: 100, ttlMs: 60_000 });
  const store = new MemoryPresenceStore();
  const [a, b] = started(replica(broker, store, {}, undefined, new MemoryBus(broker)), replica(broker, store, {}, undefined, new MemoryBus(broker)));

  it('publishes an id once per user and room, whichever replica gets it, and acks every copy with the first offset', async () => {
    const [first, second, listener, other] = [await a.connect('ann'), await b.connect('ann'), await b.connect('carl'), await a.connect('bea')];
    for (const [r, conn] of [[a, first], [b, second], [b, listener], [a, other]] as const) await r.membership.join(conn, 'acks', 'chat');
    a.messaging.say(first, 'acks', 'hello', undefined, 'm-1');
    b.messaging.say(second, 'acks', 'hello', undefined, 'm-1');
    a.messaging.say(other, 'acks', 'mine', undefined, 'm-1');
    a.messaging.say(first, 'acks', 'no id', undefined);
    await settle();
    const acks = (conn: FakeConn) => conn.got.filter((f) => f.type === 'ack');
    const [ack] = acks(first);
    expect(ack).toEqual({ type: 'ack', id: 'm-1', room: 'acks', offset: 1, epoch: expect.any(String) });
    expect(acks(second)).toEqual([ack]);
    expect(acks(other)).toEqual([{ ...ack, offset: 2 }]);
    expect(acks(first)).toHaveLength(1); // the frame without an id is not acked
    const heard = listener.got.filter((f) => f.type === 'message').map((f) => [f.content, f.offset]);
    expect(heard).toEqual([
      ['hello', 1],
      ['mine', 2],
      ['no id', 3],
    ]);
  });
});
