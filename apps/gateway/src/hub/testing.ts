import type { Authenticator, Identity } from '@switchboard/auth';
import { type Bus, MemoryBroker, MemoryBus } from '@switchboard/bus';
import { loadConfig } from '@switchboard/config';
import { Metrics } from '@switchboard/observability';
import { MemoryPresence, type MemoryPresenceStore, type Presence } from '@switchboard/presence';
import { channelsCodec, type Codec, type Reply, roomsChatCodec, roomsHubCodec, signalingCodec } from '@switchboard/protocol';
import { ClusterNode } from '../cluster/cluster-node';
import type { Connection } from '../transport/connection';
import { FlowControl } from '../transport/flow-control';
import type { OutboundFrame } from '../transport/outbound-frame';
import { Broadcaster } from './broadcaster';
import { LocalIndex } from './local-index';
import { MembershipService } from './membership.service';
import { MessagingService } from './messaging.service';
import { RoomRecovery } from './room-recovery';

/** Join styles as the dialect table maps them. */
const STYLES: Record<string, Codec> = { chat: roomsChatCodec, hub: roomsHubCodec, channel: channelsCodec, signaling: signalingCodec };

/** A connection without a socket: the frames written to it, decoded, and the errors it was sent. */
export type FakeConn = Connection & { got: Array<Record<string, unknown>>; errors: Array<{ code: string; message: string; re?: string }> };

let seq = 0;

/** A credential directory that knows no registered user (these replicas have no api). */
const NOBODY_REGISTERED = { isRegistered: async () => false } as unknown as Authenticator;

/**
 * A replica without sockets: the real cluster node, membership, messaging, index and
 * broadcaster, on the memory bus and presence shared through `broker` and `store`.
 */
export function testReplica(broker: MemoryBroker, store: MemoryPresenceStore, env: Record<string, string> = {}, presence: Presence = new MemoryPresence(60_000, store), bus: Bus = new MemoryBus(broker)) {
  const config = loadConfig(env);
  const index = new LocalIndex();
  const metrics = new Metrics(false);
  const node = new ClusterNode(bus, presence, config, index, metrics, new FlowControl(config, index), NOBODY_REGISTERED);
  const broadcaster = new Broadcaster(metrics);
  const recovery = new RoomRecovery((conn, codec, event) => broadcaster.toOne(conn, codec, event));
  const membership = new MembershipService(config, index, node, recovery, metrics);
  const messaging = new MessagingService(index, node, membership, recovery, broadcaster, metrics, config);
  /** A connection of `username` on this replica's endpoint speaking `codec`, not yet registered. */
  const connection = (username: string, codec: Codec = roomsChatCodec): FakeConn => {
    const identity: Identity = { userId: `id-${username}`, username, permissions: [], authenticated: true };
    const got: FakeConn['got'] = [];
    const errors: FakeConn['errors'] = [];
    return {
      id: String(1000 + ++seq),
      identity,
      codec,
      roomCodec: (style: string) => STYLES[style] ?? codec,
      rooms: new Map<string, Codec>(),
      got,
      errors,
      write: (frame: OutboundFrame) => got.push(JSON.parse(frame.text)) > 0,
      reply: (reply: Reply) => {
        const text = codec.renderReply(reply);
        if (text !== undefined) got.push(JSON.parse(text));
      },
      close: () => undefined,
      error: (code: string, message: string, about?: { re?: string }) => errors.push({ code, message, re: about?.re }),
    } as unknown as FakeConn;
  };
  /** A registered connection (membership knows it). */
  const connect = async (username: string, codec: Codec = roomsChatCodec): Promise<FakeConn> => {
    const conn = connection(username, codec);
    await membership.connect(conn);
    return conn;
  };
  return { config, node, index, metrics, membership, messaging, connection, connect, start: () => node.start(), stop: () => node.onApplicationShutdown() };
}

/** Starts the replicas before the describe's tests and stops them after. */
export function started<R extends { start(): Promise<void>; stop(): Promise<void> }>(...replicas: R[]): R[] {
  beforeAll(async () => {
    for (const r of replicas) await r.start();
  });
  afterAll(async () => {
    for (const r of replicas) await r.stop();
  });
  return replicas;
}
