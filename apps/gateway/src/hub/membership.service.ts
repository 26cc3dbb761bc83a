import { Inject, Injectable } from '@nestjs/common';
import type { HistoryRead } from '@switchboard/bus';
import { CONFIG, type SwitchboardConfig } from '@switchboard/config';
import { Metrics } from '@switchboard/observability';
import { CloseCode, type Codec, CommandError, ErrorCode, type JoinPosition, type JoinStyle, type PresenceEvent, type Reply, type ResumeFrom, roomAllowed, type StreamPosition, Topics } from '@switchboard/protocol';
import { ClusterNode } from '../cluster/cluster-node';
import type { Connection } from '../transport/connection';
import { LocalIndex } from './local-index';
import { notBefore, ResumeGrants } from './resume-grants';
import { RoomRecovery } from './room-recovery';
import { sender } from './sender';

/**
 * How a join goes: resume from `since`; at most `maxMembers` in the room (default
 * WEBSOCKET_MAX_ROOM_MEMBERS); with `mustExist`, only into a room that has members (checked in
 * the same presence write that adds this one, so the room cannot empty in between).
 */
export interface JoinOptions {
  mustExist?: boolean;
  /** Only into a room that has no members: a room being created under a fresh name (checked in the same presence write). */
  onlyNew?: boolean;
  since?: ResumeFrom;
  maxMembers?: number;
}

/**
 * Who is where: connections register here, and joins and leaves become presence entries,
 * bus subscriptions and roster entries. A join is confirmed only once the membership is live
 * cluster-wide.
 *
 * Joining costs the same in a room of 10 or 10,000: presence is written once, the member
 * list comes from the roster this replica keeps, and above
 * WEBSOCKET_PRESENCE_EVENTS_MAX_MEMBERS join/leave notices are not sent to the room.
 */
@Injectable()
export class MembershipService {
  /** Rooms whose roster is being read from presence: later joiners wait for it. */
  private readonly loading = new Map<string, Promise<void>>();
  /** `user_list` of rooms this replica has no member in, read from presence: reused for WEBSOCKET_USER_LIST_CACHE, one read at a time. */
  private readonly remoteLists = new Map<string, { until: number; list: Promise<Reply> }>();
  private readonly listCap: number;
  /** Who may replay what: resume tokens issued and checked. */
  private readonly grants: ResumeGrants;

  constructor(
    @Inject(CONFIG) private readonly config: SwitchboardConfig,
    private readonly index: LocalIndex,
    private readonly node: ClusterNode,
    private readonly recovery: RoomRecovery,
    private readonly metrics: Metrics,
  ) {
    this.listCap = config.limits.presenceEventsMaxMembers;
    this.grants = new ResumeGrants(config);
    node.onRecovered(() => this.resyncRosters());
    node.onRostersStale(() => this.resyncRosters());
  }

  /** Registers a new connection; resolves once private messages can reach it. */
  async connect(conn: Connection): Promise<void> {
    const topic = userTopic(conn);
    const first = this.index.add(conn, topic);
    this.node.connectionsChanged();
    if (!first) return;
    try {
      await this.node.want(topic);
    } catch (err) {
      // Without its user topic the connection would miss private messages: send it away
      // (1013, try again later); the disconnect that follows cleans up.
      conn.close(CloseCode.TryAgainLater, 'message bus unavailable', 'error');
      throw err;
    }
  }

  async disconnect(conn: Connection): Promise<void> {
    this.forget(conn);
    await Promise.all([...conn.rooms.keys()].map((room) => this.leaveRoom(conn, room)));
  }

  /**
   * Forgets a connection on this replica only: its rooms' presence entries stay and nobody is
   * told it left (a signaling peer that may resume, here or elsewhere, or that already did).
   */
  detach(conn: Connection): void {
    this.forget(conn);
    for (const [room, codec] of conn.rooms) this.leaveLocally(conn, room, codec);
    conn.rooms.clear();
  }

  /**
   * Makes a connection the local member of rooms whose presence entries it already holds (a
   * resumed signaling peer): no presence write, no join notice — for everyone else it never
   * left. Resolves once every room's subscription and roster are live.
   */
  async attach(conn: Connection, rooms: readonly string[], style: JoinStyle): Promise<void> {
    const codec = conn.roomCodec(style);
    await Promise.all(rooms.map((room) => this.enterLocally(conn, room, codec)));
  }

  /**
   * Joins a room. The confirmation (`user_list`, or `channel_joined`) goes out only once the
   * membership is live cluster-wide and the bus subscription is active, so every later
   * message reaches it; it carries the room's history position. With `since` the client
   * resumes: after the confirmation (`recovered: true`) come the messages it missed, in
   * order, then live traffic, with no gap and no duplicate at the seam (see RoomRecovery).
   */
  async join(conn: Connection, room: string, style: JoinStyle, options?: { maxMembers?: number; mustExist?: boolean }): Promise<Reply>;
  async join(conn: Connection, room: string, style: JoinStyle, options: JoinOptions): Promise<Reply | undefined>;
  async join(conn: Connection, room: string, style: JoinStyle, { since: asked, maxMembers = this.config.limits.maxRoomMembers, mustExist = false }: JoinOptions = {}): Promise<Reply | undefined> {
    if (!roomAllowed(conn.identity.rooms, room)) {
      throw new CommandError(ErrorCode.Forbidden, `not allowed to join room "${room}"`);
    }
    const codec = conn.roomCodec(style);
    const current = conn.rooms.get(room);
    if (current !== undefined) {
      if (current !== codec) {
        // Same room, other style: render for it the new way from now on.
        this.index.leave(room, current, conn);
        this.index.join(room, codec, conn);
        conn.rooms.set(room, codec);
      }
      return this.confirmation(conn, room, await this.position(room));
    }
    // Only what this client missed: from where its resume token lets it, else nothing.
    const resume = asked === undefined ? undefined : this.grants.grant(room, conn.identity, asked);
    const since = resume !== undefined && 'gap' in resume ? undefined : resume;
    // Resuming: from now on the room's live events wait for the replay.
    if (since !== undefined) this.recovery.begin(room, conn, codec);
    let read: HistoryRead | undefined;
    let position: StreamPosition | undefined;
    try {
      await this.enter(conn, room, style, maxMembers, mustExist);
      if (since === undefined) position = await this.position(room);
      else position = (read = notBefore(await this.node.history(room, since.read), since.notBefore))?.position;
    } catch (err) {
      this.recovery.cancel(room, conn);
      if (conn.rooms.has(room)) await this.leaveRoom(conn, room);
      throw err;
    }
    this.recovery.noteJoined(room, position);
    if (resume !== undefined && 'gap' in resume) {
      this.metrics.resumes.labels('refused').inc();
      return this.confirmation(conn, room, position, { recovered: false, gap: resume.gap });
    }
    if (since === undefined) return this.confirmation(conn, room, position);
    const recovered = read?.recovered ?? false;
    // What the replay skips: up to where the client stands when the read began before it (a token of an empty room's epoch).
    const skip = asked!.epoch !== since.read.epoch && asked!.epoch === read?.position.epoch ? { offset: asked!.offset, epoch: asked!.epoch } : since.read;
    // A resumed client's next token starts where this replay does, so a replay cut short can be resumed again.
    const confirmation = await this.confirmation(conn, room, position, { recovered }, recovered ? skip : position);
    // The client left or went away meanwhile: nothing to resume.
    if (conn.rooms.get(room) !== codec) return undefined;
    // The confirmation, then the replay, then live traffic: written here, in that order.
    conn.reply(confirmation);
    const before = conn.bytesWritten;
    this.recovery.finish(room, conn, skip, read);
    // The replay counts against what this client's requests may make the server send (WEBSOCKET_REPLY_RATE).
    conn.chargeReplies(conn.bytesWritten - before);
    this.metrics.resumes.labels(String(recovered)).inc();
    if (recovered) this.metrics.replayed.inc(read!.events.length);
    return undefined;
  }

  /**
   * Joins a room for a dialect that confirms with a reply of its own (signaling's
   * `room_created` / `room_joined`): resolves once the membership is live cluster-wide, with
   * no history position and no member list to build.
   */
  async enterRoom(conn: Connection, room: string, style: JoinStyle, { maxMembers = this.config.limits.maxRoomMembers, mustExist = false, onlyNew = false }: JoinOptions = {}): Promise<boolean> {
    if (!roomAllowed(conn.identity.rooms, room)) throw new CommandError(ErrorCode.Forbidden, `not allowed to join room "${room}"`);
    if (conn.rooms.has(room)) return !onlyNew;
    try {
      return await this.enter(conn, room, style, maxMembers, mustExist, onlyNew);
    } catch (err) {
      if (conn.rooms.has(room)) await this.leaveRoom(conn, room);
      throw err;
    }
  }

  async leave(conn: Connection, room: string): Promise<Reply | undefined> {
    if (!conn.rooms.has(room)) throw new CommandError(ErrorCode.NotInRoom, `not in room "${room}"`);
    await this.leaveRoom(conn, room);
    return { kind: 'left', room, who: sender(conn) };
  }

  async list(conn: Connection, room: string): Promise<Reply> {
    if (!roomAllowed(conn.identity.rooms, room)) {
      throw new CommandError(ErrorCode.Forbidden, `not allowed to see room "${room}"`);
    }
    return this.userList(room);
  }

  /** A resume token for `conn` in `room` from `position` (a confirmation sent outside a join carries one too). */
  resumeToken(conn: Connection, room: string, position: StreamPosition): string | undefined {
    return this.grants.issue(room, conn.identity, position);
  }

  /** At most WEBSOCKET_PRESENCE_EVENTS_MAX_MEMBERS names, plus `total` when there are more. */
  async userList(room: string): Promise<Reply> {
    const roster = this.index.roster(room);
    // A roster being re-read after an outage still answers: a join storm then never reads the whole list.
    if (roster?.loaded) {
      const names = roster.list(this.listCap);
      return roster.total > names.length ? { kind: 'user_list', room, names, total: roster.total } : { kind: 'user_list', room, names };
    }
    // A room this replica is not in: ask presence (on request only, never per join), once per
    // WEBSOCKET_USER_LIST_CACHE however many ask — requests for a big remote room cost one read.
    const now = Date.now();
    const cached = this.remoteLists.get(room);
    if (cached !== undefined && cached.until > now) return cached.list;
    const list = this.readList(room);
    const cacheMs = this.config.limits.userListCacheMs;
    if (cacheMs > 0) {
      if (this.remoteLists.size >= REMOTE_LISTS_KEPT) this.pruneLists(now);
      this.remoteLists.set(room, { until: now + cacheMs, list });
      // A failed read is not kept: the next request tries again.
      list.catch(() => this.remoteLists.delete(room));
    }
    return list;
  }

  private async readList(room: string): Promise<Reply> {
    const members = await this.node.members(room);
    const all = [...new Set(members.map((m) => m.username))];
    const names = all.slice(0, this.listCap);
    return all.length > names.length ? { kind: 'user_list', room, names, total: all.length } : { kind: 'user_list', room, names };
  }

  /** Forgets expired lists; past the bound, the oldest too (a client asking about many rooms). */
  private pruneLists(now: number): void {
    for (const [room, entry] of this.remoteLists) if (entry.until <= now) this.remoteLists.delete(room);
    for (const room of this.remoteLists.keys()) {
      if (this.remoteLists.size < REMOTE_LISTS_KEPT) break;
      this.remoteLists.delete(room);
    }
  }

  /**
   * A join or leave notice arrived for a local room: the roster takes it. True while the room
   * is small enough for notices (a notice per join to every member would make filling a room O(n²)).
   */
  noticed(room: string, event: PresenceEvent): boolean {
    const roster = this.index.roster(room)!;
    if (event.clientId !== undefined) {
      if (event.kind === 'join') roster.add({ clientId: event.clientId, username: event.from.name });
      else roster.remove(event.clientId);
    }
    return roster.size <= this.listCap;
  }

  /**
   * The join confirmation in the dialect's own way: the member list (rooms) or a `joined`
   * reply (channels), with the room's history position and a resume token for it (or for
   * `tokenAt`, where a replay begins).
   */
  private async confirmation(conn: Connection, room: string, position?: StreamPosition, outcome: Omit<JoinPosition, 'position'> = {}, tokenAt = position): Promise<Reply> {
    const at: JoinPosition = { position, ...outcome };
    if (tokenAt !== undefined) at.resumeToken = this.grants.issue(room, conn.identity, tokenAt);
    if (!conn.codec.listsMembersOnJoin) return { kind: 'joined', room, who: sender(conn), ...at };
    return { ...(await this.userList(room)), ...at };
  }

  /**
   * The room's history position for a joiner that is not resuming: where this replica's
   * fan-out of the room stands when it knows (every later event reaches the joiner from
   * here), else read from the history — once per room per replica, not once per join.
   */
  private async position(room: string): Promise<StreamPosition | undefined> {
    return this.recovery.lastDelivered(room) ?? (await this.node.history(room))?.position;
  }

  /** False (nothing written) when `onlyNew` and the room has members. */
  private async enter(conn: Connection, room: string, style: JoinStyle, maxRoomMembers: number, mustExist: boolean, onlyNew = false): Promise<boolean> {
    const codec = conn.roomCodec(style);
    const { maxRoomsPerConnection } = this.config.limits;
    if (conn.rooms.size >= maxRoomsPerConnection) {
      throw new CommandError(ErrorCode.TooManyRooms, `too many rooms: a connection may be in ${maxRoomsPerConnection}`);
    }
    const size = await this.node.addMember(room, conn, onlyNew);
    if (size === 0) return false;
    if (size > maxRoomMembers) {
      await this.node.removeMember(room, conn.id);
      throw new CommandError(ErrorCode.RoomFull, `room full: "${room}" has ${maxRoomMembers} members`);
    }
    if (mustExist && size === 1) {
      await this.node.removeMember(room, conn.id);
      throw new CommandError(ErrorCode.NoSuchRoom, `room ${room} does not exist`);
    }
    try {
      await this.enterLocally(conn, room, codec);
    } catch (err) {
      await this.leaveRoom(conn, room, false);
      throw err;
    }
    this.metrics.joins.labels(style).inc();
    // Published before the joiner is confirmed, so a client that joins after this one was
    // confirmed never gets a notice about it (it is already in that client's member list).
    await this.node.publish(Topics.room(room), { kind: 'join', room, from: sender(conn), clientId: conn.id, ts: Date.now() }).catch(noticeLost);
    return true;
  }

  /** The local half of a join: the index, the roster, and (for a room new here) its subscription and roster read. */
  private async enterLocally(conn: Connection, room: string, codec: Codec): Promise<void> {
    conn.rooms.set(room, codec);
    const first = this.index.join(room, codec, conn);
    if (first) this.metrics.rooms.set(this.index.roomCount);
    this.index.roster(room)!.add({ clientId: conn.id, username: conn.identity.username });
    await (first ? this.loadRoster(room) : this.loading.get(room));
  }

  /** Registers nothing more for the connection here: its user topic goes when it was that user's last. */
  private forget(conn: Connection): void {
    const topic = userTopic(conn);
    if (this.index.remove(conn, topic)) this.node.drop(topic);
    this.node.connectionsChanged();
  }

  /** The local half of a leave; true if the room has no local member left. */
  private leaveLocally(conn: Connection, room: string, codec: Codec): boolean {
    this.recovery.cancel(room, conn);
    if (!this.index.leave(room, codec, conn)) return false;
    this.node.drop(Topics.room(room));
    this.recovery.forgetRoom(room);
    this.metrics.rooms.set(this.index.roomCount);
    return true;
  }

  /** Subscribes to a room new on this replica, then reads its roster from presence once. */
  private loadRoster(room: string): Promise<void> {
    const roster = this.index.roster(room)!;
    roster.beginSync();
    const load = (async () => {
      try {
        await this.node.want(Topics.room(room));
        roster.finishSync(await this.node.members(room));
      } catch (err) {
        // Already an `unavailable` error, logged and counted by the node.
        roster.abandonSync();
        throw err;
      } finally {
        this.loading.delete(room);
      }
    })();
    this.loading.set(room, load);
    return load;
  }

  /** After a bus outage join/leave events may have been missed: read every roster again. */
  private resyncRosters(): void {
    for (const room of this.index.roomNames()) {
      const roster = this.index.roster(room)!;
      if (roster.syncing) continue;
      roster.beginSync();
      // A failed read was logged and counted by the node; the roster keeps what events built.
      this.node.members(room).then(
        (members) => roster.finishSync(members),
        () => roster.abandonSync(),
      );
    }
  }

  private async leaveRoom(conn: Connection, room: string, announce = true): Promise<void> {
    const codec = conn.rooms.get(room);
    if (codec === undefined) return;
    conn.rooms.delete(room);
    if (!this.leaveLocally(conn, room, codec)) this.index.roster(room)?.remove(conn.id);
    await this.node.removeMember(room, conn.id);
    if (announce) {
      await this.node.publish(Topics.room(room), { kind: 'leave', room, from: sender(conn), clientId: conn.id, ts: Date.now() }).catch(noticeLost);
    }
  }
}

/** How many rooms' presence-read `user_list` are kept at most. */
const REMOTE_LISTS_KEPT = 1000;

/** A join/leave notice the bus refused was already logged and counted by the node; the membership itself stands. */
function noticeLost(): void {}

/** The topic that reaches every connection of this connection's user (or guest name). */
function userTopic(conn: Connection): string {
  return conn.identity.authenticated ? Topics.user(conn.identity.userId) : Topics.guest(conn.identity.userId);
}
