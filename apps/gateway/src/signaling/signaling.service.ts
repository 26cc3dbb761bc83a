import { Inject, Injectable, Logger } from '@nestjs/common';
import { Authenticator } from '@switchboard/auth';
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
  signalingRoom,
  signalingRoomId,
  Topics,
} from '@switchboard/protocol';
import { ClusterNode } from '../cluster/cluster-node';
import { randomId } from '../cluster/random-id';
import { MembershipService } from '../hub/membership.service';
import type { Connection } from '../transport/connection';
import { OutboundFrame } from '../transport/outbound-frame';
import { ResumeTokens } from './resume-tokens';
import { Departures } from './departures';

/** Fresh ids tried before giving up: a collision in 2^53 is already rare, several in a row mean presence is wrong. */
const ID_ATTEMPTS = 5;

/**
 * Signaling (seed 004) on top of room membership. Signaling rooms are rooms of their own
 * namespace (`signalingRoom(id)`, so no chat socket can enter one); `peer_joined` /
 * `peer_left` are their join and leave events. What is signaling's own: unguessable peer and
 * room ids (CSPRNG, registered in presence in the write that checks them), "a room exists
 * while it has members", the peer cap, relays, and resume.
 *
 * Resume: `welcome` carries a resume token. A peer whose connection closed without a goodbye
 * (or whose replica died) keeps its id and its rooms in presence for
 * WEBSOCKET_SIGNALING_RESUME_WINDOW, and nobody is told it left; with the token it becomes
 * that peer again on any replica (`resumed`), or after the window its rooms get `peer_left`.
 *
 * A relay goes to the addressee's own topic (`Topics.peer`), which only its replica
 * subscribes to and the cluster node routes here: one publish per relay, no broadcast. The
 * sender's replica puts the sender's rooms in the event; the addressee's replica delivers only
 * if the addressee is in one of them, else it tells the sender (`signal_refused` → `error`).
 */
@Injectable()
export class SignalingService {
  private readonly logger = new Logger(SignalingService.name);
  /** Signaling connections on this replica, by peer id. */
  private readonly peers = new Map<string, Connection>();
  /** Connections whose peer resumed on another connection: they let go without touching presence. */
  private readonly replaced = new WeakSet<Connection>();
  private readonly departed = new Departures();
  /** Connections that got `welcome` (their fresh id is registered). */
  private readonly welcomed = new WeakSet<Connection>();
  private readonly tokens: ResumeTokens | undefined;
  private readonly windowMs: number;

  constructor(
    private readonly membership: MembershipService,
    private readonly node: ClusterNode,
    private readonly auth: Authenticator,
    @Inject(CONFIG) private readonly config: SwitchboardConfig,
    private readonly metrics: Metrics,
  ) {
    node.route('peer', (peer, event) => this.deliver(peer, event));
    node.wantsPeers((peer) => this.peers.has(peer));
    // Tokens need a secret every replica shares; with only JWT_PUBLIC_KEY there is none, so no resume.
    const secret = config.auth.jwtPublicKey === undefined || config.auth.jwtSecret !== undefined ? config.auth.jwtSecret : undefined;
    this.tokens = secret === undefined || config.ws.signalingResumeWindowMs === 0 ? undefined : new ResumeTokens(secret);
    this.windowMs = this.tokens ? config.ws.signalingResumeWindowMs : 0;
  }

  /** Registers a signaling connection: `welcome` (or `resumed`, with `?resume=`) once relays to it can reach it. */
  async connect(conn: Connection): Promise<Reply> {
    try {
      await this.membership.connect(conn);
    } catch (err) {
      conn.close(CloseCode.TryAgainLater, 'message bus unavailable', 'error');
      throw err;
    }
    if (conn.resumeToken !== undefined) {
      try {
        return await this.resume(conn, conn.resumeToken);
      } catch (err) {
        if (!(err instanceof CommandError) || err.code !== ErrorCode.ResumeFailed) throw err;
        // Told why, then it goes on as a new peer.
        conn.error(err.code, err.message, { re: 'resume' });
      }
    }
    return this.welcome(conn);
  }

  /** `resume {token}` as a frame, after `welcome`: the connection becomes the peer the token names. */
  async resumeCommand(conn: Connection, token: string): Promise<Reply> {
    if (conn.rooms.size > 0) throw new CommandError(ErrorCode.BadField, 'resume before joining any room');
    return this.resume(conn, token);
  }

  async disconnect(conn: Connection): Promise<void> {
    const id = conn.id;
    const mine = this.peers.get(id) === conn;
    // A client that sent a close frame said goodbye: it gets no window. A lost connection, a
    // silent one (heartbeat) or a draining replica's does.
    const goodbye = conn.closeReason === undefined && conn.closeCode !== CloseCode.Abnormal;
    const mayResume = this.windowMs > 0 && !goodbye && conn.closeReason !== 'revoked';
    if (mine) {
      this.peers.delete(id);
      if (!this.replaced.has(conn)) this.departed.note(id, mayResume);
    }
    if (this.replaced.has(conn) || !mine) {
      // Resumed elsewhere (or never registered): presence belongs to the other connection now.
      this.node.drop(Topics.peer(id));
      this.membership.detach(conn);
      return;
    }
    // The peer's topic stays until presence has recorded how it left: a relay meanwhile still
    // reaches this replica, which answers from `departed`; a relay that finds nobody on the
    // topic finds presence written (away, or no such peer), never the peer still "connected".
    try {
      if (mayResume && (await this.node.detachPeer(id, this.roomsOf(conn)))) {
        this.membership.detach(conn);
        return;
      }
      await this.membership.disconnect(conn);
      await this.node.releasePeer(id);
    } finally {
      this.node.drop(Topics.peer(id));
    }
  }

  async createRoom(conn: Connection): Promise<Reply> {
    for (let i = 0; i < ID_ATTEMPTS; i++) {
      const id = randomId();
      if (await this.membership.enterRoom(conn, signalingRoom(id), SIGNALING_STYLE, { maxMembers: this.config.limits.signalingMaxPeers, onlyNew: true })) {
        return { kind: 'room_created', room: id };
      }
    }
    throw new CommandError(ErrorCode.Unavailable, 'no free room id found; try again');
  }

  /** Joins an existing room; `room_joined` lists the other members on every replica, once the membership is live. */
  async joinRoom(conn: Connection, id: string): Promise<Reply> {
    const room = signalingRoom(id);
    try {
      await this.membership.enterRoom(conn, room, SIGNALING_STYLE, { maxMembers: this.config.limits.signalingMaxPeers, mustExist: true });
    } catch (err) {
      // Name the room by its id, as the client knows it.
      if (err instanceof CommandError) throw new CommandError(err.code, err.message.replace(room, id));
      throw err;
    }
    return { kind: 'room_joined', room: id, peers: await this.peersIn(room, conn) };
  }

  async leaveRoom(conn: Connection, id: string): Promise<void> {
    if (!conn.rooms.has(signalingRoom(id))) throw new CommandError(ErrorCode.NotInRoom, `not in room ${id}`);
    await this.membership.leave(conn, signalingRoom(id));
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
        if (receivers === 0) void this.unreachable(conn, to, type, this.departed.away(to));
      },
      // Reported after the fact: it names the relay, so no pending request of the client takes it.
      (err: CommandError) => conn.error(err.code, err.message, { re: type }),
    );
  }

  // ---- identity --------------------------------------------------------------------

  /** A fresh, unguessable peer id for the connection, registered in presence, and its `welcome`. */
  private async welcome(conn: Connection): Promise<Reply> {
    for (let i = 0; i < ID_ATTEMPTS; i++) {
      const id = randomId();
      if (!(await this.node.claimPeer(id, conn.identity.userId, this.windowMs))) continue;
      conn.id = id;
      await this.listen(conn);
      this.welcomed.add(conn);
      return { kind: 'welcome', clientId: id, resumeToken: this.tokens?.issue(id, conn.identity) };
    }
    conn.close(CloseCode.TryAgainLater, 'no free peer id', 'error');
    throw new CommandError(ErrorCode.Unavailable, 'no free peer id found; reconnect');
  }

  /** Makes the connection the peer a resume token names, with its rooms; ResumeFailed when it cannot be. */
  private async resume(conn: Connection, token: string): Promise<Reply> {
    const claim = this.tokens?.read(token);
    const { identity } = conn;
    if (!claim || claim.userId !== identity.userId) throw resumeFailed('the resume token is not valid for this credential');
    const revoked = claim.keyHash !== undefined ? identity.keyHash !== claim.keyHash : this.auth.isSessionRevoked(claim.userId, claim.issuedAt);
    if (revoked) throw resumeFailed('the credential the resume token was issued to was revoked');
    const resumed = await this.node.resumePeer(claim.clientId, identity.userId);
    if (!resumed) throw resumeFailed(`peer ${claim.clientId} cannot be resumed: its resume window is over`);

    // The fresh id of a welcomed connection is given up for the old one.
    // Relays to it are answered unknown_peer: this replica remembers it left for good, and keeps
    // its topic until presence has forgotten it (presence alone would still say it is connected).
    if (this.welcomed.has(conn)) {
      const fresh = conn.id;
      this.peers.delete(fresh);
      this.departed.note(fresh, false);
      void this.node.releasePeer(fresh).finally(() => this.node.drop(Topics.peer(fresh)));
    }
    const before = this.peers.get(claim.clientId);
    if (before && before !== conn) this.letGo(before);
    conn.id = claim.clientId;
    await this.listen(conn);
    if (resumed.fromNode !== undefined && resumed.fromNode !== this.node.nodeId) {
      // The node that still holds a connection of this peer lets it go.
      await this.node.publish(Topics.peer(conn.id), { kind: 'peer_moved', peer: conn.id, node: this.node.nodeId, ts: Date.now() }).catch(() => undefined);
    }
    await this.membership.attach(conn, resumed.rooms, SIGNALING_STYLE);
    this.metrics.signalingResumes.inc();
    const rooms = await Promise.all(resumed.rooms.map(async (room) => ({ room: signalingRoomId(room)!, peers: await this.peersIn(room, conn) })));
    return { kind: 'resumed', clientId: conn.id, rooms, resumeToken: this.tokens!.issue(conn.id, identity) };
  }

  /** Subscribes the connection's peer topic; without it no relay could reach it. */
  private async listen(conn: Connection): Promise<void> {
    this.peers.set(conn.id, conn);
    try {
      await this.node.want(Topics.peer(conn.id));
    } catch (err) {
      conn.close(CloseCode.TryAgainLater, 'message bus unavailable', 'error');
      throw err;
    }
  }

  /** Another connection resumed this one's peer: close it without telling anyone it left. */
  private letGo(conn: Connection): void {
    this.replaced.add(conn);
    conn.close(CloseCode.PeerResumedElsewhere, 'resumed on another connection', 'replaced');
  }

  // ---- relays ----------------------------------------------------------------------

  /** An event on a peer topic: a relay for a local peer, a refusal for a local sender, or a resume elsewhere. */
  private deliver(peer: string, event: HubEvent): void {
    const conn = this.peers.get(peer);
    if (event.kind === 'peer_moved') {
      if (event.node === this.node.nodeId) return;
      // Relays that still arrive here, while this replica lets go of its topic, are the new replica's.
      this.departed.moved(peer);
      if (conn) this.letGo(conn);
      return;
    }
    if (event.kind === 'signal_refused') {
      if (!conn) return;
      if (event.gone) void this.unreachable(conn, event.peer, event.type, event.away);
      else conn.error(ErrorCode.UnknownPeer, `peer ${event.peer} is not in any of your rooms; nothing was delivered`, event.type && { re: event.type });
      return;
    }
    if (event.kind !== 'signal' || !Array.isArray(event.rooms) || typeof event.from !== 'string') {
      this.metrics.busDropped.labels('bad_signal').inc();
      this.logger.debug({ msg: 'dropped a malformed event on a peer topic', peer, kind: event.kind });
      return;
    }
    // Gone since the sender's replica published (its topic is being dropped), unless it resumed
    // elsewhere (that replica got the relay too), or sharing no room with the sender.
    if (!conn) {
      if (!this.departed.hasMoved(peer)) this.refuse(event, peer, true, this.departed.away(peer));
      return;
    }
    if (!event.rooms.some((room) => conn.rooms.has(room))) return this.refuse(event, peer, false);
    const text = signalingCodec.render(event)!;
    if (conn.write(new OutboundFrame(text))) {
      this.metrics.framesOut.labels('signal').inc();
      this.metrics.bytesOut.inc(Buffer.byteLength(text));
    }
  }

  /**
   * Nobody holds peer `to`: it is reconnecting (within its window), or gone. `away` is what its
   * replica saw as it went, when it did (its presence entry may not say so yet). Else presence
   * says: a peer still registered is between two connections — away, being resumed (not yet on
   * its new topic), or on a replica that died and has not expired yet — since a replica keeps a
   * peer's topic until presence has recorded how it left.
   */
  private async unreachable(conn: Connection, to: string, type: SignalType | undefined, away: boolean | undefined): Promise<void> {
    const about = type && { re: type };
    if (away ?? (await this.node.peerState(to)) !== undefined) {
      conn.error(ErrorCode.PeerReconnecting, `peer ${to} is reconnecting; nothing was delivered, send again once it is back`, about);
    } else {
      conn.error(ErrorCode.UnknownPeer, `peer ${to} is not connected; nothing was delivered`, about);
    }
  }

  /** Tells the sender its signal to `peer` was not delivered, and why. */
  private refuse(event: SignalEvent, peer: string, gone: boolean, away?: boolean): void {
    this.metrics.errors.labels('signal_refused').inc();
    const refusal: HubEvent = { kind: 'signal_refused', to: event.from, peer, type: event.type, gone, away, ts: Date.now() };
    this.node.publish(Topics.peer(event.from), refusal).catch((err: unknown) =>
      this.logger.warn({ msg: 'signal refusal not sent', client: event.from, error: (err as Error).message }),
    );
  }

  /** The other members of a room, on every replica, read from presence after this member's own write. */
  private async peersIn(room: string, conn: Connection): Promise<string[]> {
    // Not from the roster: of two peers joining at once on two replicas the later one must see
    // the earlier, even before its join event arrives.
    const members = await this.node.members(room);
    return members.map((m) => m.clientId).filter((id) => id !== conn.id);
  }

  private roomsOf(conn: Connection): string[] {
    const rooms: string[] = [];
    for (const [room, codec] of conn.rooms) if (codec === signalingCodec) rooms.push(room);
    return rooms;
  }
}

function resumeFailed(message: string): CommandError {
  return new CommandError(ErrorCode.ResumeFailed, message);
}
