import { MemoryBroker } from '@switchboard/bus';
import { MemoryPresenceStore } from '@switchboard/presence';
import { signalingCodec } from '@switchboard/protocol';
import { sleep } from '@switchboard/testing';
import type { Authenticator } from '@switchboard/auth';
import { type FakeConn, testReplica } from '../hub/testing';
import { SignalingService } from './signaling.service';

interface Peer {
  conn: FakeConn;
  frames: FakeConn['got'];
  errors: FakeConn['errors'];
}

/** A replica without sockets: the real signaling service, membership and node on the memory bus and presence. */
function replica(broker: MemoryBroker, store: MemoryPresenceStore) {
  const { config, node, metrics, membership, connection, start, stop } = testReplica(broker, store);
  const auth = { isSessionRevoked: () => false } as unknown as Authenticator;
  const signaling = new SignalingService(membership, node, auth, config, metrics);
  const connect = async (): Promise<Peer> => {
    const conn = connection('peer', signalingCodec);
    await signaling.connect(conn);
    return { conn, frames: conn.got, errors: conn.errors };
  };
  return { signaling, connect, start, stop };
}

const settle = () => sleep(20);

describe('SignalingService relays across replicas', () => {
  const broker = new MemoryBroker();
  const store = new MemoryPresenceStore();
  const one = replica(broker, store);
  const two = replica(broker, store);

  beforeAll(async () => {
    await one.start();
    await two.start();
  });
  afterAll(async () => {
    await one.stop();
    await two.stop();
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
});
