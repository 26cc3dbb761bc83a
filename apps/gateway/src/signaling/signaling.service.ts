import { Inject, Injectable, Logger } from '@nestjs/common';
import { CONFIG, type SwitchboardConfig } from '@switchboard/config';
import { Metrics } from '@switchboard/observability';
import {
  CloseCode,
  CommandError,
  ErrorCode,
  type HubEvent,
  type Reply,
  type SignalEvent,
  SIGNALING_STYLE,
  type SignalType,
  signalingCodec,
  Topics,
} from '@switchboard/protocol';
import { ClientIdsService } from '../cluster/client-ids.service';
import { ClusterNode } from '../cluster/cluster-node';
import { MembershipService } from '../hub/membership.service';
import type { Connection } from '../transport/connection';
import { OutboundFrame } from '../transport/outbound-frame';

/**
 * Signaling (seed 004) on top of room membership. A signaling room is a room like any other
 * (presence, `peer_joined` / `peer_left` are the room's join and leave events); what is
 * signaling's own: room ids from the cluster-unique id allocator, "a room exists while it has
 * members", the peer cap, and relays.
 *
 * A relay goes to the addressee's own topic (`Topics.peer`), which only its replica
 * subscribes to and the cluster node routes here: one publish per relay, no broadcast. The sender's replica puts the
 * sender's rooms in the event; the addressee's replica delivers only if the addressee is
 * in one of them (both sides read their own connection, so a peer that just left a room is
 * never reached through it), else it tells the sender (`signal_refused` → `error`).
 */
@Injectable()
export class SignalingService {
  private readonly logger = new Logger(SignalingService.name);
  /** Signaling connections on this replica, by id. */
  private readonly peers = new Map<string, Connection>();

  constructor(
    private readonly membership: MembershipService,
    private readonly node: ClusterNode,
    private readonly ids: ClientIdsService,
    @Inject(CONFIG) private readonly config: SwitchboardConfig,
    private readonly metrics: Metrics,
  ) {
    node.route('peer', (peer, event) => this.deliver(peer, event));
  }

  /** Registers a signaling connection; `welcome` once relays to it and private messages can reach it. */
  async connect(conn: Connection): Promise<Reply> {
    this.peers.set(conn.id, conn);
    try {
      // Both subscriptions go to the bus in one batch.
      await Promise.all([this.membership.connect(conn), this.node.want(Topics.peer(conn.id))]);
    } catch (err) {
      // Without its peer topic no relay could reach it: send it away (1013, try again later).
      this.peers.delete(conn.id);
      conn.close(CloseCode.TryAgainLater, 'message bus unavailable', 'error');
      throw err;
    }
    return { kind: 'welcome', clientId: conn.id };
  }

  async disconnect(conn: Connection): Promise<void> {
    if (this.peers.get(conn.id) === conn) this.peers.delete(conn.id);
    this.node.drop(Topics.peer(conn.id)); // ids are never reused: nobody wants it again
    await this.membership.disconnect(conn);
  }

  async createRoom(conn: Connection): Promise<Reply> {
    const id = this.ids.next();
    if (id === undefined) throw new CommandError(ErrorCode.Unavailable, 'no room ids available on this replica yet; try again');
    const room = String(id);
    await this.membership.enterRoom(conn, room, SIGNALING_STYLE, { maxMembers: this.config.limits.signalingMaxPeers });
    return { kind: 'room_created', room };
  }

  /** Joins an existing room; `room_joined` lists the other members on every replica, once the membership is live. */
  async joinRoom(conn: Connection, room: string): Promise<Reply> {
    await this.membership.enterRoom(conn, room, SIGNALING_STYLE, { maxMembers: this.config.limits.signalingMaxPeers, mustExist: true });
    // Read from presence after this member's own write, not from the roster: of two peers joining
    // at once on two replicas the later one must see the earlier, even before its join event arrives.
    const members = await this.node.members(room);
    return { kind: 'room_joined', room, peers: members.map((m) => m.clientId).filter((id) => id !== conn.id) };
  }

  async leaveRoom(conn: Connection, room: string): Promise<void> {
    await this.membership.leave(conn, room);
  }

  async leaveAll(conn: Connection): Promise<void> {
    for (const room of this.roomsOf(conn)) await this.membership.leave(conn, room);
  }

  /**
   * Sends an offer, answer or ICE candidate to peer `to`. Not awaited (the bus keeps a
   * client's relays in order on its one connection), so a client's candidates stream;
   * an addressee nobody holds, or one outside the sender's rooms, comes back as `error`.
   */
  relay(conn: Connection, type: SignalType, to: string, data: unknown): void {
    const rooms = this.roomsOf(conn);
    if (rooms.length === 0) throw new CommandError(ErrorCode.NotInRoom, 'join a room before signaling a peer');
    if (to === conn.id) throw new CommandError(ErrorCode.BadField, `"${type}" cannot be sent to yourself`);
    const event: SignalEvent = { kind: 'signal', type, from: conn.id, to, rooms, data, ts: Date.now() };
    this.node.publish(Topics.peer(to), event).then(
      (receivers) => {
        if (receivers === 0) conn.error(ErrorCode.UnknownPeer, `peer ${to} is not connected; nothing was delivered`, { re: type });
      },
      // Reported after the fact: it names the relay, so no pending request of the client takes it.
      (err: CommandError) => conn.error(err.code, err.message, { re: type }),
    );
  }

  /** An event on a peer topic: a relay for a local peer, or a refusal for a local sender. */
  private deliver(peer: string, event: HubEvent): void {
    const conn = this.peers.get(peer);
    if (event.kind === 'signal_refused') {
      const why = event.gone ? 'is not connected' : 'is not in any of your rooms';
      conn?.error(ErrorCode.UnknownPeer, `peer ${event.peer} ${why}; nothing was delivered`, event.type && { re: event.type });
      return;
    }
    if (event.kind !== 'signal' || !Array.isArray(event.rooms) || typeof event.from !== 'string') {
      this.metrics.busDropped.labels('bad_signal').inc();
      this.logger.debug({ msg: 'dropped a malformed event on a peer topic', peer, kind: event.kind });
      return;
    }
    // Gone since the sender's replica published (its topic is being dropped), or sharing no room with the sender.
    if (!conn) return this.refuse(event, peer, true);
    if (!event.rooms.some((room) => conn.rooms.has(room))) return this.refuse(event, peer, false);
    const text = signalingCodec.render(event)!;
    if (conn.write(new OutboundFrame(text))) {
      this.metrics.framesOut.labels('signal').inc();
      this.metrics.bytesOut.inc(Buffer.byteLength(text));
    }
  }

  /** Tells the sender its signal to `peer` was not delivered, and why. */
  private refuse(event: SignalEvent, peer: string, gone: boolean): void {
    this.metrics.errors.labels('signal_refused').inc();
    const refusal: HubEvent = { kind: 'signal_refused', to: event.from, peer, type: event.type, gone, ts: Date.now() };
    this.node.publish(Topics.peer(event.from), refusal).catch((err: unknown) =>
      this.logger.warn({ msg: 'signal refusal not sent', client: event.from, error: (err as Error).message }),
    );
  }

  private roomsOf(conn: Connection): string[] {
    const rooms: string[] = [];
    for (const [room, codec] of conn.rooms) if (codec === signalingCodec) rooms.push(room);
    return rooms;
  }
}
