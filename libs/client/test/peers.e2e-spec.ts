import { LoopbackStun, loopbackRtcConfig } from '@switchboard/testing';
import { PeerManager, type PeerData, SignalingClient } from '../src/node';
import { TestCluster, token, until } from './cluster';

/** A signaling client with its peer manager, recording what it saw. */
async function peer(url: string, name: string, stun: LoopbackStun) {
  const client = await SignalingClient.connect(url, { token: token(name) });
  const manager = new PeerManager(client, loopbackRtcConfig(stun));
  const opened = new Set<number>();
  const received: PeerData[] = [];
  const closed: number[] = [];
  manager.on('open', (id) => opened.add(id));
  manager.on('data', (d) => received.push(d));
  manager.on('close', (id) => closed.push(id));
  return { client, manager, opened, received, closed, close: () => (manager.close(), client.close()) };
}
type TestPeer = Awaited<ReturnType<typeof peer>>;

/** Real WebRTC data channels (werift) between peers on two gateway processes over Redis. */
describe('peers over the signaling cluster (werift)', () => {
  let cluster: TestCluster;
  let stun: LoopbackStun;
  const peers: TestPeer[] = [];
  const add = async (replica: number, name: string) => {
    const p = await peer(cluster.signaling(replica), name, stun);
    peers.push(p);
    return p;
  };

  beforeAll(async () => {
    stun = await LoopbackStun.start();
    cluster = await TestCluster.start(2);
  }, 60000);
  afterEach(() => {
    for (const p of peers.splice(0)) p.close();
  });
  afterAll(async () => {
    await cluster.stop();
    await stun.close();
  });

  it('creates a room on one replica, joins on the other, opens a data channel and moves bytes both ways', async () => {
    const a = await add(0, 'ann');
    const b = await add(1, 'ben');
    const room = await a.client.createRoom();
    expect(await b.client.joinRoom(room)).toEqual([a.client.clientId]);

    await until('both channels open', 20_000, () => a.opened.has(b.client.clientId) && b.opened.has(a.client.clientId));
    const bytes = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7) % 256);
    a.manager.sendDataToPeer(b.client.clientId, bytes);
    b.manager.sendDataToPeer(a.client.clientId, new TextEncoder().encode('hello ann'));

    const atB = await until('bytes at ben', 20_000, () => b.received[0]);
    expect(atB.from).toBe(a.client.clientId);
    expect(Buffer.from(atB.data).equals(Buffer.from(bytes))).toBe(true);
    const atA = await until('text at ann', 20_000, () => a.received[0]);
    expect(atA.from).toBe(b.client.clientId);
    expect(new TextDecoder().decode(atA.data)).toBe('hello ann');

    // Leaving closes and forgets the peer on the other side.
    b.client.leaveRoom(room);
    await until('ann forgets ben', 20_000, () => a.closed.includes(b.client.clientId));
    expect(() => a.manager.sendDataToPeer(b.client.clientId, bytes)).toThrow(/no open data channel/);
  }, 60000);

  it('forms a full mesh of three peers in one room', async () => {
    const a = await add(0, 'a');
    const b = await add(1, 'b');
    const c = await add(0, 'c');
    const room = await a.client.createRoom();
    await b.client.joinRoom(room);
    expect((await c.client.joinRoom(room)).sort()).toEqual([a.client.clientId, b.client.clientId].sort());
    const all = [a, b, c];
    const ids = all.map((p) => p.client.clientId);
    await until('six open channels', 20_000, () => all.every((p, i) => ids.every((id, j) => i === j || p.opened.has(id))));
    for (const p of all) for (const id of ids) if (id !== p.client.clientId) p.manager.sendDataToPeer(id, new TextEncoder().encode(`from ${p.client.clientId} to ${id}`));
    await until('two messages at each peer', 20_000, () => all.every((p) => p.received.length === 2));
    for (const p of all) {
      const texts = p.received.map((r) => new TextDecoder().decode(r.data)).sort();
      const others = ids.filter((id) => id !== p.client.clientId);
      expect(texts).toEqual(others.map((id) => `from ${id} to ${p.client.clientId}`).sort());
      expect(p.received.map((r) => r.from).sort()).toEqual(others.sort());
    }
  }, 60000);
});
