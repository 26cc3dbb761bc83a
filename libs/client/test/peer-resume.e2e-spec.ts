import { PeerManager, type PeerData, SignalingClient } from '../src/node';
import { TestCluster, token, until } from './cluster';
import { iceCredentials, restarted } from './ice-restart';
import { keepOffline } from './offline';

/** WEBSOCKET_SIGNALING_RESUME_WINDOW of this cluster. */
const WINDOW_MS = 3000;

/** Node peers (werift, loopback only) whose signaling replicas die under them (issue 18). */
describe('peers that outlive their signaling replica (werift)', () => {
  keepOffline();
  let cluster: TestCluster;
  const closers: Array<() => void> = [];

  const peer = async (replicas: number[], name: string) => {
    const client = await SignalingClient.connect(cluster.signaling(replicas[0]), () => ({ token: token(name) }), {
      urls: replicas.slice(1).map((i) => cluster.signaling(i)),
      initialDelayMs: 50,
      maxDelayMs: 500,
    });
    const manager = new PeerManager(client);
    const seen = { opened: new Set<number>(), received: [] as PeerData[], left: [] as number[], closed: [] as number[], resumed: 0, failed: [] as number[], connected: 0 };
    manager.on('open', (id) => seen.opened.add(id));
    manager.on('data', (d) => seen.received.push(d));
    manager.on('peer_closed', (id) => seen.closed.push(id));
    manager.on('peer_connected', () => seen.connected++);
    client.on('peer_left', ({ clientId }) => seen.left.push(clientId));
    client.on('resumed', () => seen.resumed++);
    client.on('failed', ({ clientId }) => seen.failed.push(clientId));
    closers.push(() => (manager.close(), client.close()));
    return { client, manager, seen };
  };

  beforeAll(async () => {
    cluster = await TestCluster.start(3, { WEBSOCKET_SIGNALING_RESUME_WINDOW: `${WINDOW_MS}ms` });
  }, 90000);
  afterEach(() => {
    for (const close of closers.splice(0)) close();
  });
  afterAll(async () => {
    await cluster.stop();
  });

  it('keeps the data channel and the client ids when both signaling replicas go (SIGKILL, then SIGTERM): no byte lost, no peer_left', async () => {
    const a = await peer([0, 2], 'ann');
    const b = await peer([1, 2], 'ben');
    const [ida, idb] = [a.client.clientId, b.client.clientId];
    const room = await a.client.createRoom();
    await b.client.joinRoom(room);
    await until('both channels open', 20_000, () => a.seen.opened.has(idb) && b.seen.opened.has(ida));

    let n = 0;
    const ticker = setInterval(() => {
      n++;
      a.manager.sendDataToPeer(idb, new TextEncoder().encode(`a${n}`));
      b.manager.sendDataToPeer(ida, new TextEncoder().encode(`b${n}`));
    }, 50);
    try {
      await cluster.gateways[0].stop('SIGKILL');
      await until('ann resumed', 10_000, () => a.seen.resumed === 1);
      await cluster.gateways[1].stop('SIGTERM');
      await until('ben resumed', 10_000, () => b.seen.resumed === 1);
      // The channel carried data all along; wait a little more of it, then stop.
      const at = n;
      await until('more data after both resumes', 10_000, () => n > at + 10);
    } finally {
      clearInterval(ticker);
    }
    await until('every message on both sides', 10_000, () => b.seen.received.length === n && a.seen.received.length === n);
    expect(b.seen.received.map((r) => new TextDecoder().decode(r.data))).toEqual(Array.from({ length: n }, (_, i) => `a${i + 1}`));
    expect(a.seen.received.map((r) => new TextDecoder().decode(r.data))).toEqual(Array.from({ length: n }, (_, i) => `b${i + 1}`));
    expect([a.client.clientId, b.client.clientId]).toEqual([ida, idb]);
    expect([...a.client.rooms, ...b.client.rooms]).toEqual([room, room]);
    expect([a.seen.left, b.seen.left, a.seen.closed, b.seen.closed, a.seen.failed, b.seen.failed]).toEqual([[], [], [], [], [], []]);
  }, 90000);

  it('restarts ICE twice on the same RTCPeerConnection (restartIce, then a failed state on the other side): data both ways after each, the same peer ids', async () => {
    const a = await peer([2], 'cat');
    const b = await peer([2], 'dan');
    const room = await a.client.createRoom();
    await b.client.joinRoom(room);
    const [ida, idb] = [a.client.clientId, b.client.clientId];
    await until('both channels open', 20_000, () => a.seen.opened.has(idb) && b.seen.opened.has(ida));
    const pc = a.manager.connectionOf(idb)!;
    const bpc = b.manager.connectionOf(ida)!;
    const texts = (p: typeof a) => p.seen.received.map((r) => new TextDecoder().decode(r.data));
    const exchange = async (text: string) => {
      a.manager.sendDataToPeer(idb, `${text} from cat`);
      b.manager.sendDataToPeer(ida, `${text} from dan`);
      await until(`"${text}" both ways`, 20_000, () => texts(b).includes(`${text} from cat`) && texts(a).includes(`${text} from dan`));
    };
    await exchange('before');

    // Offers each side signals: a restart is a new offer on the same connection. dan's
    // connection reads `failed` (below) until dan offers, then as it really is.
    const offers = { a: 0, b: 0 };
    for (const [side, p] of [['a', a], ['b', b]] as const) {
      const signal = p.client.signal.bind(p.client);
      p.client.signal = (type, to, data) => {
        if (type === 'offer') offers[side]++;
        if (side === 'b' && type === 'offer') delete (bpc as { connectionState?: string }).connectionState;
        return signal(type, to, data);
      };
    }
    const first = iceCredentials(pc);
    await a.manager.restartIce(idb);
    expect(offers.a).toBe(1);
    await until('the restart negotiated (new ICE credentials both ways)', 20_000, () => restarted(pc, first));
    await exchange('after restartIce');

    // A simulated failure: the state change handler sees `failed` and renegotiates.
    const second = iceCredentials(bpc);
    const reconnecting: number[] = [];
    b.manager.on('peer_reconnecting', (id) => reconnecting.push(id));
    Object.defineProperty(bpc, 'connectionState', { configurable: true, get: () => 'failed' });
    bpc.onconnectionstatechange?.();
    expect(reconnecting).toEqual([ida]);
    await until('dan renegotiates with an ICE restart offer', 20_000, () => offers.b === 1);
    await until('the second restart negotiated (new ICE credentials both ways)', 20_000, () => restarted(bpc, second));
    await exchange('after the failed state');

    expect(offers).toEqual({ a: 1, b: 1 });
    expect(a.manager.connectionOf(idb)).toBe(pc);
    expect(b.manager.connectionOf(ida)).toBe(bpc);
    expect([a.client.clientId, b.client.clientId]).toEqual([ida, idb]);
    expect([a.seen.closed, b.seen.closed]).toEqual([[], []]);
  }, 90000);

  it('after the window: failed, a fresh id, and the others saw peer_left for the old one', async () => {
    const a = await peer([2], 'eve');
    const b = await peer([2], 'fay');
    const room = await a.client.createRoom();
    await b.client.joinRoom(room);
    const old = b.client.clientId;
    await until('a channel open', 20_000, () => a.seen.opened.has(old));
    // ben's network goes away for longer than the window: its reconnect attempts cannot get through.
    const down = Date.now();
    const block = (b.client as unknown as { dial: (url: string) => Promise<unknown> }).dial.bind(b.client);
    (b.client as unknown as { dial: (url: string) => Promise<unknown> }).dial = (url) => (Date.now() - down < WINDOW_MS + 3000 ? Promise.reject(new Error('network down')) : block(url));
    b.client.drop();
    await until('ann saw ben leave', 20_000, () => a.seen.left.includes(old));
    await until('ben failed and came back as a new peer', 20_000, () => b.seen.failed.length === 1);
    expect(b.client.clientId).not.toBe(old);
    expect(b.seen.failed).toEqual([b.client.clientId]);
    await until('ben in the room again, and a new channel', 20_000, () => a.seen.opened.has(b.client.clientId));
  }, 90000);
});
