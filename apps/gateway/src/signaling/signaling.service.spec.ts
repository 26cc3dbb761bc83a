import type { Identity } from '@switchboard/auth';
import { MemoryBroker, MemoryBus } from '@switchboard/bus';
import { loadConfig } from '@switchboard/config';
import { Metrics } from '@switchboard/observability';
import { MemoryPresence, MemoryPresenceStore } from '@switchboard/presence';
import { type Codec, signalingCodec } from '@switchboard/protocol';
import { Broadcaster } from '../hub/broadcaster';
import type { ClientIdsService } from '../hub/client-ids.service';
import { ClusterNode } from '../hub/cluster-node';
import { HubService } from '../hub/hub.service';
import { LocalIndex } from '../hub/local-index';
import type { Connection } from '../transport/connection';
import { FlowControl } from '../transport/flow-control';
import { SignalingService } from './signaling.service';

interface Peer {
  conn: Connection;
  frames: Array<Record<string, unknown>>;
  errors: Array<{ code: string; message: string; re?: string }>;
}

let nextId = 100;

/** A replica without sockets: the real signaling service, hub and node on the memory bus and presence. */
function replica(broker: MemoryBroker, store: MemoryPresenceStore) {
  const config = loadConfig({});
  const index = new LocalIndex();
  const metrics = new Metrics(false);
  const node = new ClusterNode(new MemoryBus(broker), new MemoryPresence(60_000, store), config, index, metrics, new FlowControl(config, index));
  const hub = new HubService(config, index, node, new Broadcaster(metrics), metrics);
  const ids = { next: () => ++nextId } as unknown as ClientIdsService;
  const signaling = new SignalingService(hub, node, ids, config, metrics);
  signaling.onModuleInit();
  const connect = async (): Promise<Peer> => {
    const identity: Identity = { userId: `user-${++nextId}`, username: 'peer', permissions: [], authenticated: true };
    const peer: Peer = { conn: undefined as unknown as Connection, frames: [], errors: [] };
    peer.conn = {
      id: String(++nextId),
      identity,
      codec: signalingCodec,
      roomCodec: (): Codec => signalingCodec,
      rooms: new Map<string, Codec>(),
      write: (frame: Buffer) => peer.frames.push(JSON.parse(frame.toString('utf8', frame[1] === 126 ? 4 : 2))) > 0,
      close: () => undefined,
      error: (code: string, message: string, about?: { re?: string }) => peer.errors.push({ code, message, re: about?.re }),
    } as unknown as Connection;
    await signaling.connect(peer.conn);
    return peer;
  };
  return { signaling, connect, start: () => hub.onModuleInit(), stop: () => node.onApplicationShutdown() };
}

const settle = () => new Promise((r) => setTimeout(r, 20));

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
