import { MemoryBroker, MemoryBus } from '@switchboard/bus';
import { MemoryPresence, MemoryPresenceStore, type Presence } from '@switchboard/presence';
import { CloseCode, type Reply, signalingCodec } from '@switchboard/protocol';
import { sleep, until } from '@switchboard/testing';
import type { Authenticator } from '@switchboard/auth';
import { type FakeConn, testReplica } from '../hub/testing';
import { SignalingService } from './signaling.service';

interface Peer {
  conn: FakeConn;
  frames: FakeConn['got'];
  errors: FakeConn['errors'];
  /** What `connect` answered: `welcome`, or `resumed` with a resume token. */
  reply: Reply;
}

/** Every replica's: resume tokens one replica issues, another accepts. */
const env = { JWT_SECRET: 'signaling-spec-shared-secret' };

/** A replica without sockets: the real signaling service, membership and node on the memory bus and presence. */
function replica(broker: MemoryBroker, store: MemoryPresenceStore, parts: { presence?: Presence; bus?: MemoryBus } = {}) {
  const { config, node, metrics, membership, connection, start, stop } = testReplica(broker, store, env, parts.presence, parts.bus);
  const auth = { isSessionRevoked: () => false } as unknown as Authenticator;
  const signaling = new SignalingService(membership, node, auth, config, metrics);
  /** A peer of user `peer`; with a resume token, that peer again. */
  const connect = async (resumeToken?: string): Promise<Peer> => {
    const conn = connection('peer', signalingCodec);
    Object.assign(conn, { resumeToken });
    const reply = await signaling.connect(conn);
    return { conn, frames: conn.got, errors: conn.errors, reply };
  };
  return { signaling, connect, start, stop };
}

const settle = () => sleep(20);

/** Memory presence whose `detachPeer` waits while `hold` is set: a lost peer's away mark, slow to be written. */
class SlowDetach extends MemoryPresence {
  hold: Promise<void> | undefined;
  detaching = 0;

  override async detachPeer(clientId: string, nodeId: string, rooms: readonly string[]): Promise<boolean> {
    this.detaching++;
    await this.hold;
    return super.detachPeer(clientId, nodeId, rooms);
  }
}

describe('SignalingService relays across replicas', () => {
  const broker = new MemoryBroker();
  const store = new MemoryPresenceStore();
  const one = replica(broker, store);
  const two = replica(broker, store);
  const slowPresence = new SlowDetach(60_000, store);
  const slow = replica(broker, store, { presence: slowPresence });

  beforeAll(async () => {
    await one.start();
    await two.start();
    await slow.start();
  });
  afterAll(async () => {
    await one.stop();
    await two.stop();
    await slow.stop();
  });

  it('tells the sender when the addressee disconnected while its relay was on the way, naming the relay', async () => {
    const a = await one.connect();
    const b = await two.connect();
    const room = ((await one.signaling.createRoom(a.conn)) as { room: string }).room;
    await two.signaling.joinRoom(b.conn, room);
    Object.assign(b.conn, { closeCode: 1000 }); // a goodbye: no resume window

    // b goes; its replica still holds b's topic until the unsubscribe batch runs, so the relay reaches it.
    void two.signaling.disconnect(b.conn);
    one.signaling.relay(a.conn, 'offer', b.conn.id, { sdp: 'v=0' });
    await settle();

    expect(b.frames.filter((f) => f.type === 'offer')).toEqual([]);
    expect(a.errors).toEqual([{ code: 'unknown_peer', message: `peer ${b.conn.id} is not connected; nothing was delivered`, re: 'offer' }]);
  });

  it('tells the sender, naming the relay, when the addressee shares none of its rooms', async () => {
    const a = await one.connect();
    const b = await two.connect();
    const c = await two.connect();
    const room = ((await one.signaling.createRoom(a.conn)) as { room: string }).room;
    await two.signaling.joinRoom(c.conn, room);

    one.signaling.relay(a.conn, 'ice_candidate', b.conn.id, { candidate: 'x' });
    one.signaling.relay(a.conn, 'answer', c.conn.id, { sdp: 'v=0' });
    await settle();

    expect(b.frames).toEqual([]);
    expect(c.frames).toEqual([expect.objectContaining({ type: 'answer', from: Number(a.conn.id) })]);
    expect(a.errors).toEqual([{ code: 'unknown_peer', message: `peer ${b.conn.id} is not in any of your rooms; nothing was delivered`, re: 'ice_candidate' }]);
  });

  it('answers peer_reconnecting, not unknown_peer, to a relay that arrives while the lost addressee\'s replica is still writing its away mark', async () => {
    const a = await one.connect();
    const b = await slow.connect();
    const room = ((await one.signaling.createRoom(a.conn)) as { room: string }).room;
    await slow.signaling.joinRoom(b.conn, room);
    Object.assign(b.conn, { closeCode: CloseCode.Abnormal }); // lost: no close frame, so it may resume

    let write!: () => void;
    slowPresence.hold = new Promise((resolve) => (write = resolve));
    const gone = slow.signaling.disconnect(b.conn);
    await until("b's replica to be writing b's away mark", 5_000, () => slowPresence.detaching === 1);
    await settle(); // an unsubscribe of b's topic, had it been dropped already, has run by now

    one.signaling.relay(a.conn, 'offer', b.conn.id, { sdp: 'while the mark is written' });
    await until('the sender to hear about its offer', 5_000, () => a.errors.length === 1);
    write();
    await gone;
    one.signaling.relay(a.conn, 'offer', b.conn.id, { sdp: 'once it is written' });
    await until('the sender to hear about its second offer', 5_000, () => a.errors.length === 2);

    const reconnecting = { code: 'peer_reconnecting', message: `peer ${b.conn.id} is reconnecting; nothing was delivered, send again once it is back`, re: 'offer' };
    expect(a.errors).toEqual([reconnecting, reconnecting]);
    expect(b.frames.filter((f) => f.type === 'offer')).toEqual([]);
  });

  it('answers peer_reconnecting to a relay for a peer whose replica died, before presence expired that replica', async () => {
    const bus = new MemoryBus(broker);
    const doomed = replica(broker, store, { bus });
    await doomed.start();
    try {
      const a = await one.connect();
      const b = await doomed.connect();
      const room = ((await one.signaling.createRoom(a.conn)) as { room: string }).room;
      await doomed.signaling.joinRoom(b.conn, room);
      await bus.close(); // the process is gone: nothing hears b's topic, and presence still has b on its replica

      one.signaling.relay(a.conn, 'offer', b.conn.id, { sdp: 'v=0' });
      await until('the sender to hear about its offer', 5_000, () => a.errors.length === 1);
      expect(a.errors).toEqual([{ code: 'peer_reconnecting', message: `peer ${b.conn.id} is reconnecting; nothing was delivered, send again once it is back`, re: 'offer' }]);
    } finally {
      await doomed.stop();
    }
  });

  it('leaves a lost peer to the replica it resumed on, even when its old replica writes the away mark only after that', async () => {
    const a = await one.connect();
    const b = await slow.connect();
    const room = ((await one.signaling.createRoom(a.conn)) as { room: string }).room;
    await slow.signaling.joinRoom(b.conn, room);
    Object.assign(b.conn, { closeCode: CloseCode.Abnormal });

    let write!: () => void;
    slowPresence.detaching = 0;
    slowPresence.hold = new Promise((resolve) => (write = resolve));
    const gone = slow.signaling.disconnect(b.conn);
    await until("b's old replica to be writing b's away mark", 5_000, () => slowPresence.detaching === 1);
    const back = await two.connect((b.reply as { resumeToken: string }).resumeToken);
    expect(back.reply).toMatchObject({ kind: 'resumed', clientId: b.conn.id });
    write();
    await gone;

    expect(await slowPresence.peerState(b.conn.id)).toBe('connected');
    one.signaling.relay(a.conn, 'offer', b.conn.id, { sdp: 'v=0' });
    await until('the offer to reach b on its new connection', 5_000, () => back.frames.some((f) => f.type === 'offer'));
    expect(a.errors).toEqual([]);
  });
});
