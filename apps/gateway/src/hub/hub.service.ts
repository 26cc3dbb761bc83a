import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { can, Permission } from '@switchboard/auth';
import type { HistoryRead } from '@switchboard/bus';
import { CONFIG, type SwitchboardConfig } from '@switchboard/config';
import { Metrics } from '@switchboard/observability';
import {
  CloseCode,
  type Codec,
  CommandError,
  ErrorCode,
  type HubEvent,
  type JoinStyle,
  type Reply,
  roomAllowed,
  type Sender,
  type StreamPosition,
  Topics,
} from '@switchboard/protocol';
import type { Connection } from '../transport/connection';
import { Broadcaster } from './broadcaster';
import { ClusterNode } from './cluster-node';
import { LocalIndex } from './local-index';
import { RoomRecovery } from './room-recovery';

/**
 * How a join goes: resume from `since`; at most `maxMembers` in the room (default
 * WEBSOCKET_MAX_ROOM_MEMBERS); with `mustExist`, only into a room that has members (checked in
 * the same presence write that adds this one, so the room cannot empty in between).
 */
export interface JoinOptions {
  mustExist?: boolean;
  since?: StreamPosition;
  maxMembers?: number;
}

/**
 * What a connection's commands do, between the local index, the cluster node and the
 * broadcaster. It speaks commands and events only: joins become presence entries, bus
 * subscriptions and roster entries; chat becomes bus events; each delivered event updates
 * the rosters and is fanned out by the broadcaster.
 *
 * Joining costs the same in a room of 10 or 10,000: presence is written once, the member
 * list comes from the roster this replica keeps, and above
 * WEBSOCKET_PRESENCE_EVENTS_MAX_MEMBERS join/leave notices are not sent to the room.
 */
@Injectable()
export class HubService implements OnModuleInit {
  /** Rooms whose roster is being read from presence: later joiners wait for it. */
  private readonly loading = new Map<string, Promise<void>>();
  private readonly listCap: number;
  private readonly recovery: RoomRecovery;
  /** Topics another service takes delivery of (signaling's peer topics). */
  private readonly topicRoutes: Array<{ owns(topic: string): boolean; deliver(topic: string, event: HubEvent): void }> = [];

  constructor(
    @Inject(CONFIG) private readonly config: SwitchboardConfig,
    private readonly index: LocalIndex,
    private readonly node: ClusterNode,
    private readonly broadcaster: Broadcaster,
    private readonly metrics: Metrics,
  ) {
    this.listCap = config.limits.presenceEventsMaxMembers;
    this.recovery = new RoomRecovery((conn, codec, event) => broadcaster.toOne(conn, codec, event));
  }

  async onModuleInit(): Promise<void> {
    await this.node.start({
      deliver: (topic, event) => this.deliver(topic, event),
      recovered: () => {
        this.resyncRosters();
        this.catchUpRooms();
      },
      rostersStale: () => this.resyncRosters(),
    });
  }

  /** Registers a new connection; resolves once private messages can reach it. */
  async connect(conn: Connection): Promise<void> {
    const topic = this.userTopic(conn);
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
    const topic = this.userTopic(conn);
    if (this.index.remove(conn, topic)) this.node.drop(topic);
    this.node.connectionsChanged();
    await Promise.all([...conn.rooms.keys()].map((room) => this.leaveRoom(conn, room)));
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
  async join(conn: Connection, room: string, style: JoinStyle, { since, maxMembers = this.config.limits.maxRoomMembers, mustExist = false }: JoinOptions = {}): Promise<Reply | undefined> {
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
      return this.confirmation(conn, room, style, await this.position(room));
    }
    // Resuming: from now on the room's live events wait for the replay.
    if (since !== undefined) this.recovery.begin(room, conn, codec);
    let read: HistoryRead | undefined;
    let position: StreamPosition | undefined;
    try {
      await this.enter(conn, room, style, maxMembers, mustExist);
      if (since === undefined) position = await this.position(room);
      else position = (read = await this.node.history(room, since))?.position;
    } catch (err) {
      this.recovery.cancel(room, conn);
      if (conn.rooms.has(room)) await this.leaveRoom(conn, room);
      throw err;
    }
    this.recovery.noteJoined(room, position);
    const confirmation = await this.confirmation(conn, room, style, position, since && (read?.recovered ?? false));
    if (since === undefined) return confirmation;
    // The client left or went away meanwhile: nothing to resume.
    if (conn.rooms.get(room) !== codec) return undefined;
    // The confirmation, then the replay, then live traffic: written here, in that order.
    conn.reply(confirmation);
    this.recovery.finish(room, conn, since, read);
    const recovered = read?.recovered ?? false;
    this.metrics.resumes.labels(String(recovered)).inc();
    if (recovered) this.metrics.replayed.inc(read!.events.length);
    return undefined;
  }

  /**
   * Joins a room for a dialect that confirms with a reply of its own (signaling's
   * `room_created` / `room_joined`): resolves once the membership is live cluster-wide, with
   * no history position and no member list to build.
   */
  async enterRoom(conn: Connection, room: string, style: JoinStyle, { maxMembers = this.config.limits.maxRoomMembers, mustExist = false }: JoinOptions = {}): Promise<void> {
    if (!roomAllowed(conn.identity.rooms, room)) throw new CommandError(ErrorCode.Forbidden, `not allowed to join room "${room}"`);
    if (conn.rooms.has(room)) return;
    try {
      await this.enter(conn, room, style, maxMembers, mustExist);
    } catch (err) {
      if (conn.rooms.has(room)) await this.leaveRoom(conn, room);
      throw err;
    }
  }

  /**
   * The room's history position for a joiner that is not resuming: where this replica's
   * fan-out of the room stands when it knows (every later event reaches the joiner from
   * here), else read from the history — once per room per replica, not once per join.
   */
  private async position(room: string): Promise<StreamPosition | undefined> {
    return this.recovery.lastDelivered(room) ?? (await this.node.history(room))?.position;
  }

  private async confirmation(conn: Connection, room: string, style: JoinStyle, position?: StreamPosition, recovered?: boolean): Promise<Reply> {
    const at = recovered === undefined ? { position } : { position, recovered };
    if (style === 'channel') return { kind: 'joined', room, who: sender(conn), ...at };
    return { ...(await this.userList(room)), ...at };
  }

  /**
   * After a bus outage this replica may have missed room events: each local room resumes
   * from the last event fanned out here, so members that stayed connected lose nothing. The
   * room's live events wait meanwhile; then the missed and the held go through the room's
   * fan-out once each. If the history was lost meanwhile, what the new epoch holds is all new.
   */
  private catchUpRooms(): void {
    for (const room of [...this.index.roomNames()]) {
      const last = this.recovery.lastDelivered(room);
      if (last === undefined || !this.recovery.holdRoom(room)) continue;
      void this.readSince(room, last).then(
        async ({ since, read }) => {
          // Past the window, or the history was lost: the members cannot have all they missed.
          if (read !== undefined && (!read.recovered || since.epoch !== last.epoch)) {
            const members = [...(this.index.groups(room)?.values() ?? [])].flatMap((conns) => [...conns]);
            this.node.failed('room catch-up', new Error('missed events are past the history window or lost'), { room, members: members.length });
            let list: Reply | undefined;
            try {
              list = await this.userList(room);
            } catch {
              // Presence is down again: the node logged and counted it; the notice goes without names.
            }
            for (const conn of members) this.tellGap(conn, room, read.recovered ? since : read.position, list);
          }
          for (const event of this.recovery.releaseRoom(room, since, read)) this.toRoom(room, event);
        },
        (err: unknown) => {
          this.node.failed('room catch-up', err, { room });
          for (const event of this.recovery.releaseRoom(room, undefined, undefined)) this.toRoom(room, event);
        },
      );
    }
  }

  /**
   * Tells a member that stayed connected that it missed room events no history holds: the
   * join confirmation again (`user_list`, or `channel_joined`; each dialect renders its own)
   * with `recovered: false` and the position it goes on from, as a resume past the window gets.
   */
  private tellGap(conn: Connection, room: string, position: StreamPosition, list: Reply | undefined): void {
    const names = list?.kind === 'user_list' ? list : { kind: 'user_list' as const, room, names: [] };
    conn.reply({ ...names, position, recovered: false });
    conn.reply({ kind: 'joined', room, who: sender(conn), position, recovered: false });
  }

  /** Reads what followed `last`, or all of a new epoch when the history was lost since. */
  private async readSince(room: string, last: StreamPosition): Promise<{ since: StreamPosition; read: HistoryRead | undefined }> {
    const read = await this.node.history(room, last);
    if (read === undefined || read.recovered || read.position.epoch === last.epoch) return { since: last, read };
    const since = { offset: 0, epoch: read.position.epoch };
    return { since, read: await this.node.history(room, since) };
  }

  private async enter(conn: Connection, room: string, style: JoinStyle, maxRoomMembers: number, mustExist: boolean): Promise<void> {
    const codec = conn.roomCodec(style);
    const { maxRoomsPerConnection } = this.config.limits;
    if (conn.rooms.size >= maxRoomsPerConnection) {
      throw new CommandError(ErrorCode.TooManyRooms, `too many rooms: a connection may be in ${maxRoomsPerConnection}`);
    }
    const size = await this.node.addMember(room, conn);
    if (size > maxRoomMembers) {
      await this.node.removeMember(room, conn.id);
      throw new CommandError(ErrorCode.RoomFull, `room full: "${room}" has ${maxRoomMembers} members`);
    }
    if (mustExist && size === 1) {
      await this.node.removeMember(room, conn.id);
      throw new CommandError(ErrorCode.NoSuchRoom, `room ${room} does not exist`);
    }
    conn.rooms.set(room, codec);
    const first = this.index.join(room, codec, conn);
    if (first) this.metrics.rooms.set(this.index.roomCount);
    this.index.roster(room)!.add({ clientId: conn.id, username: conn.identity.username });
    try {
      await (first ? this.loadRoster(room) : this.loading.get(room));
    } catch (err) {
      await this.leaveRoom(conn, room, false);
      throw err;
    }
    this.metrics.joins.labels(style).inc();
    // Published before the joiner is confirmed, so a client that joins after this one was
    // confirmed never gets a notice about it (it is already in that client's member list).
    await this.node.publish(Topics.room(room), { kind: 'join', room, from: sender(conn), clientId: conn.id, ts: Date.now() }).catch(noticeLost);
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

  async leave(conn: Connection, room: string): Promise<Reply | undefined> {
    if (!conn.rooms.has(room)) throw new CommandError(ErrorCode.NotInRoom, `not in room "${room}"`);
    await this.leaveRoom(conn, room);
    return { kind: 'left', room, who: sender(conn) };
  }

  /**
   * Publishes chat to a room without waiting for the bus to confirm, so a client's messages
   * are pipelined (the bus keeps their order on its one connection) and arrive at the other
   * replicas in batches; a publish the bus refuses still comes back as an `error` frame,
   * naming the chat frame it answers (`re`, `room`).
   */
  say(conn: Connection, room: string, content: string | undefined, data: unknown): void {
    if (!conn.rooms.has(room)) throw new CommandError(ErrorCode.NotInRoom, `join room "${room}" before sending to it`);
    const about = conn.answering;
    this.node.publish(Topics.room(room), { kind: 'message', room, from: sender(conn), content, data, ts: Date.now() }).catch((err: CommandError) => {
      conn.error(err.code, err.message, about);
    });
  }

  async broadcast(conn: Connection, data: unknown): Promise<void> {
    if (!can(conn.identity, Permission.Broadcast)) {
      throw new CommandError(ErrorCode.Forbidden, 'broadcast needs a token with the "broadcast" permission');
    }
    await this.node.broadcast({ kind: 'notification', from: sender(conn), data, ts: Date.now() });
  }

  /** Reaches every connection of `to`: an authenticated user of that id, else a guest who named itself so. */
  async privateMessage(conn: Connection, to: string, content: string | undefined, data: unknown): Promise<void> {
    const receivers = await this.node.publishToUser(to, { kind: 'private_message', to, from: sender(conn), content, data, ts: Date.now() });
    if (receivers === 0) throw new CommandError(ErrorCode.UserOffline, `user "${to}" is not connected`);
  }

  async list(conn: Connection, room: string): Promise<Reply> {
    if (!roomAllowed(conn.identity.rooms, room)) {
      throw new CommandError(ErrorCode.Forbidden, `not allowed to see room "${room}"`);
    }
    return this.userList(room);
  }

  /**
   * Hands every delivered event of a topic `owns` claims to `deliver` instead of the room and
   * user fan-out (signaling's peer topics). The owner subscribes its topics through the node.
   */
  routeTopics(owns: (topic: string) => boolean, deliver: (topic: string, event: HubEvent) => void): void {
    this.topicRoutes.push({ owns, deliver });
  }

  /** Called by the node for every event on a subscribed topic. */
  deliver(topic: string, event: HubEvent): void {
    for (const route of this.topicRoutes) if (route.owns(topic)) return route.deliver(topic, event);
    if (event.kind === 'private_message') {
      const conns = this.index.userConnections(topic);
      if (conns) this.broadcaster.toEach(conns, event);
      return;
    }
    if (this.node.isBroadcast(topic)) {
      this.broadcaster.toGroups(this.index.byCodec, event);
      return;
    }
    const room = Topics.roomOf(topic);
    if (room === undefined || this.recovery.hold(room, event)) return;
    this.toRoom(room, event);
  }

  /** A room event to the room's local members, rendered once per codec. */
  private toRoom(room: string, event: HubEvent): void {
    const groups = this.index.groups(room);
    if (!groups) return;
    if (event.kind === 'join' || event.kind === 'leave') {
      const roster = this.index.roster(room)!;
      if (event.clientId !== undefined) {
        if (event.kind === 'join') roster.add({ clientId: event.clientId, username: event.from.name });
        else roster.remove(event.clientId);
      }
      // A notice per join to every member would make filling a room O(n²).
      if (roster.size > this.listCap) return;
      this.broadcaster.toGroups(groups, event, event.clientId, this.recovery.intercept(room, event));
      return;
    }
    this.metrics.roomOccupancy.observe(this.broadcaster.toGroups(groups, event, undefined, this.recovery.intercept(room, event)));
    this.recovery.noteDelivered(room, event);
  }

  private async leaveRoom(conn: Connection, room: string, announce = true): Promise<void> {
    const codec = conn.rooms.get(room);
    if (codec === undefined) return;
    conn.rooms.delete(room);
    this.recovery.cancel(room, conn);
    if (this.index.leave(room, codec, conn)) {
      this.node.drop(Topics.room(room));
      this.recovery.forgetRoom(room);
      this.metrics.rooms.set(this.index.roomCount);
    } else {
      this.index.roster(room)?.remove(conn.id);
    }
    await this.node.removeMember(room, conn.id);
    if (announce) {
      await this.node.publish(Topics.room(room), { kind: 'leave', room, from: sender(conn), clientId: conn.id, ts: Date.now() }).catch(noticeLost);
    }
  }

  /** At most WEBSOCKET_PRESENCE_EVENTS_MAX_MEMBERS names, plus `total` when there are more. */
  private async userList(room: string): Promise<Reply> {
    const roster = this.index.roster(room);
    // A roster being re-read after an outage still answers: a join storm then never reads the whole list.
    if (roster?.loaded) {
      const names = roster.list(this.listCap);
      return roster.total > names.length ? { kind: 'user_list', room, names, total: roster.total } : { kind: 'user_list', room, names };
    }
    // A room this replica is not in: ask presence (on request only, never per join).
    const members = await this.node.members(room);
    const all = [...new Set(members.map((m) => m.username))];
    const names = all.slice(0, this.listCap);
    return all.length > names.length ? { kind: 'user_list', room, names, total: all.length } : { kind: 'user_list', room, names };
  }

  private userTopic(conn: Connection): string {
    return conn.identity.authenticated ? Topics.user(conn.identity.userId) : Topics.guest(conn.identity.userId);
  }
}

/** A join/leave notice the bus refused was already logged and counted by the node; the membership itself stands. */
function noticeLost(): void {}

function sender(conn: Connection): Sender {
  const { userId, username, email, authenticated } = conn.identity;
  const from: Sender = email === undefined ? { id: userId, name: username } : { id: userId, name: username, email };
  if (!authenticated) from.guest = true;
  return from;
}
