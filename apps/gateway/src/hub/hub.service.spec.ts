import type { Identity } from '@switchboard/auth';
import { type HistoryRead, MemoryBroker, MemoryBus } from '@switchboard/bus';
import { loadConfig } from '@switchboard/config';
import { Metrics } from '@switchboard/observability';
import { MemoryPresence, MemoryPresenceStore } from '@switchboard/presence';
import { channelsCodec, type Codec, type HubEvent, type Reply, roomsChatCodec, roomsHubCodec, type StreamPosition } from '@switchboard/protocol';
import type { Connection } from '../transport/connection';
import { FlowControl } from '../transport/flow-control';
import { Broadcaster } from './broadcaster';
import { ClusterNode } from './cluster-node';
import { HubService } from './hub.service';
import { LocalIndex } from './local-index';

/** Join styles as the dialect registry maps them. */
const STYLES: Record<string, Codec> = { chat: roomsChatCodec, hub: roomsHubCodec, channel: channelsCodec };

type FakeConn = Connection & { got: Array<Record<string, unknown>> };

/** A replica without sockets: the real hub, node, index and broadcaster on the memory bus and presence. */
function replica(broker: MemoryBroker, store: MemoryPresenceStore, env: Record<string, string> = {}, presence = new MemoryPresence(60_000, store), bus = new MemoryBus(broker)) {
  const config = loadConfig({ WEBSOCKET_PRESENCE_EVENTS_MAX_MEMBERS: '5', ...env });
  const index = new LocalIndex();
  const metrics = new Metrics(false);
  const flow = new FlowControl(config, index);
  const node = new ClusterNode(bus, presence, config, index, metrics, flow);
  const hub = new HubService(config, index, node, new Broadcaster(metrics), metrics);
  let seq = 0;
  const connect = async (username: string, codec: Codec = roomsChatCodec): Promise<FakeConn> => {
    const got: Array<Record<string, unknown>> = [];
    const identity: Identity = { userId: `id-${username}`, username, permissions: [], authenticated: true };
    const conn = {
      id: `${node.nodeId}:${++seq}`,
      identity,
      codec,
      roomCodec: (style: string) => STYLES[style] ?? codec,
      rooms: new Map<string, Codec>(),
      got,
      write: (frame: Buffer) => got.push(JSON.parse(frame.toString('utf8', frame[1] === 126 ? 4 : 2))) > 0,
      close: () => undefined,
      error: () => undefined,
    } as unknown as FakeConn;
    await hub.connect(conn);
    return conn;
  };
  return { hub, node, index, metrics, connect, start: () => hub.onModuleInit(), stop: () => node.onApplicationShutdown() };
}

/** Starts the replicas before the describe's tests and stops them after. */
function started<R extends { start(): Promise<void>; stop(): Promise<void> }>(...replicas: R[]): R[] {
  beforeAll(async () => {
    for (const r of replicas) await r.start();
  });
  afterAll(async () => {
    for (const r of replicas) await r.stop();
  });
  return replicas;
}

const settle = () => new Promise((r) => setTimeout(r, 20));
const names = (reply: Reply) => (reply.kind === 'user_list' ? [...reply.names].sort() : []);

describe('HubService (two replicas on the memory bus)', () => {
  const broker = new MemoryBroker();
  const store = new MemoryPresenceStore();
  const [a, b] = started(replica(broker, store), replica(broker, store));

  it('answers user_list from its roster with members of both replicas, and notifies joins and leaves', async () => {
    const alice = await a.connect('alice');
    const bob = await b.connect('bob');
    expect(names(await a.hub.join(alice, 'small', 'chat'))).toEqual(['alice']);
    expect(names(await b.hub.join(bob, 'small', 'chat'))).toEqual(['alice', 'bob']);
    await settle();
    expect(alice.got).toContainEqual(expect.objectContaining({ type: 'join', room: 'small', username: 'bob' }));
    expect(bob.got.filter((f) => f.type === 'join')).toEqual([]); // not told about itself
    expect(names(await a.hub.list(alice, 'small'))).toEqual(['alice', 'bob']);

    await b.hub.leave(bob, 'small');
    await settle();
    expect(alice.got).toContainEqual(expect.objectContaining({ type: 'leave', room: 'small', username: 'bob' }));
    expect(names(await a.hub.list(alice, 'small'))).toEqual(['alice']);
  });

  it('above WEBSOCKET_PRESENCE_EVENTS_MAX_MEMBERS sends no notices and caps user_list with the total', async () => {
    const conns: FakeConn[] = [];
    for (let i = 0; i < 12; i++) {
      const r = i % 2 === 0 ? a : b;
      const conn = await r.connect(`u${i}`);
      await r.hub.join(conn, 'big', 'chat');
      conns.push(conn);
    }
    await settle();
    const first = conns[0];
    // u0 heard joins only while the room had at most 5 members: u1..u4.
    expect(first.got.filter((f) => f.type === 'join').map((f) => f.username)).toEqual(['u1', 'u2', 'u3', 'u4']);
    for (const r of [a, b]) {
      const list = await r.hub.list(first, 'big');
      expect(list).toMatchObject({ kind: 'user_list', total: 12 });
      expect(list.kind === 'user_list' && list.names.length).toBe(5);
    }
    // Chat still reaches every member on both replicas.
    a.hub.say(first, 'big', 'hello', undefined);
    await settle();
    for (const c of conns) expect(c.got).toContainEqual(expect.objectContaining({ type: 'message', content: 'hello' }));
    // Leaves keep the rosters true on both replicas.
    for (const c of conns.slice(5)) await (conns.indexOf(c) % 2 === 0 ? a : b).hub.leave(c, 'big');
    await settle();
    for (const r of [a, b]) {
      const list = await r.hub.list(first, 'big');
      expect(names(list)).toEqual(['u0', 'u1', 'u2', 'u3', 'u4']);
      expect(list).not.toHaveProperty('total');
    }
  });

  it('joins with mustExist only a room that has members, in the same presence write', async () => {
    const erin = await a.connect('erin');
    await expect(a.hub.join(erin, 'nobody-here', 'chat', { mustExist: true })).rejects.toMatchObject({ code: 'no_such_room' });
    expect(erin.rooms.has('nobody-here')).toBe(false);
    expect(names(await a.hub.list(erin, 'nobody-here'))).toEqual([]);
    const fred = await b.connect('fred');
    await b.hub.join(fred, 'somebody-here', 'chat');
    expect(names(await a.hub.join(erin, 'somebody-here', 'chat', { mustExist: true }))).toEqual(['erin', 'fred']);
  });

  it('counts every join that took effect by style, whatever the dialect, and not a refused one', async () => {
    const count = async (style: string) => (await a.metrics.joins.get()).values.find((v) => v.labels.style === style)?.value ?? 0;
    const [chat, hub, channel] = [await count('chat'), await count('hub'), await count('channel')];
    const gil = await a.connect('gil');
    await a.hub.join(gil, 'counted', 'chat');
    await a.hub.join(gil, 'counted-2', 'hub');
    const hal = await a.connect('hal', channelsCodec);
    await a.hub.join(hal, 'counted', 'channel');
    await expect(a.hub.join(hal, 'no-such-room', 'channel', { mustExist: true })).rejects.toMatchObject({ code: 'no_such_room' });
    expect([await count('chat'), await count('hub'), await count('channel')]).toEqual([chat + 1, hub + 1, channel + 1]);
  });

  it('a room this replica is not in is listed from presence', async () => {
    const carol = await a.connect('carol');
    await a.hub.join(carol, 'elsewhere', 'chat');
    const dave = await b.connect('dave');
    expect(names(await b.hub.list(dave, 'elsewhere'))).toEqual(['carol']);
  });
});

describe('HubService when presence is down', () => {
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
    await expect(r.hub.join(ann, 'lobby', 'chat')).rejects.toMatchObject({ code: 'unavailable', message: 'presence unavailable; try again' });
    expect(ann.rooms.size).toBe(0);
    await expect(r.hub.list(ann, 'lobby')).rejects.toMatchObject({ code: 'unavailable', message: 'presence unavailable; try again' });
    const metrics = await r.metrics.registry.metrics();
    expect(metrics).toMatch(/switchboard_bus_errors_total\{op="presence add"\} 1\b/);
    expect(metrics).toMatch(/switchboard_bus_errors_total\{op="presence members"\} 1\b/);
  });
});

describe('HubService after a bus outage', () => {
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
    await a.hub.join(chat, 'outage', 'chat');
    await a.hub.join(hubStyle, 'outage', 'hub');
    await b.hub.join(writer, 'outage', 'chat');
    b.hub.say(writer, 'outage', 'm1', undefined);
    await settle();

    flaky.down = true;
    b.hub.say(writer, 'outage', 'm2', undefined);
    b.hub.say(writer, 'outage', 'm3', undefined);
    // Down long enough for the replica to notice (it watches the bus every 200 ms).
    await new Promise((r) => setTimeout(r, 500));
    expect(chat.got.filter((f) => f.type === 'message').map((f) => f.content)).toEqual(['m1']);

    flaky.down = false;
    const deadline = Date.now() + 3000;
    while (!chat.got.some((f) => f.content === 'm3') && Date.now() < deadline) await settle();
    b.hub.say(writer, 'outage', 'm4', undefined);
    await settle();
    const seen = (c: FakeConn) => c.got.filter((f) => f.type === 'message' || f.type === 'room_message').map((f) => [f.type, f.content ?? (f.data as { message: string }).message, f.offset]);
    const expected = (type: string) => ['m1', 'm2', 'm3', 'm4'].map((m, i) => [type, m, i + 1]);
    expect(seen(chat)).toEqual(expected('message'));
    expect(seen(hubStyle)).toEqual(expected('room_message'));
    // Nothing told them of a gap (a repeated user_list with recovered: false): history held everything they missed.
    expect(chat.got.filter((f) => f.type === 'user_list')).toEqual([]);
  });
});
