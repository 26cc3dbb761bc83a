import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { can, Permission } from '../../../../libs/auth/src';
import { CONFIG, type SwitchboardConfig } from '../../../../libs/config/src';
import { Metrics } from '../../../../libs/observability/src';
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
  Topics,
} from '../../../../libs/protocol/src';
import type { Connection } from '../transport/connection';
import { Broadcaster } from './broadcaster';
import { ClusterNode } from './cluster-node';
import { LocalIndex } from './local-index';

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
  }

  async onModuleInit(): Promise<void> {
    await this.node.start({ deliver: (topic, event) => this.deliver(topic, event), recovered: () => this.resyncRosters() });
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
   * Joins a room. The reply (`user_list`, or `channel_joined`) is returned only once the
   * membership is live cluster-wide and the bus subscription is active, so every later
   * message reaches it.
   */
  async join(conn: Connection, room: string, style: JoinStyle, maxMembers = this.config.limits.maxRoomMembers): Promise<Reply> {
    if (!roomAllowed(conn.identity.rooms, room)) {
      throw new CommandError(ErrorCode.Forbidden, `not allowed to join room "${room}"`);
    }
    const codec = conn.roomCodec(style);
    const current = conn.rooms.get(room);
    if (current === undefined) {
      await this.enter(conn, room, codec, maxMembers);
    } else if (current !== codec) {
      // Same room, other style: render for it the new way from now on.
      this.index.leave(room, current, conn);
      this.index.join(room, codec, conn);
      conn.rooms.set(room, codec);
    }
    return style === 'channel' ? { kind: 'joined', room, who: sender(conn) } : this.userList(room);
  }

  private async enter(conn: Connection, room: string, codec: Codec, maxRoomMembers: number): Promise<void> {
    const { maxRoomsPerConnection } = this.config.limits;
    if (conn.rooms.size >= maxRoomsPerConnection) {
      throw new CommandError(ErrorCode.TooManyRooms, `too many rooms: a connection may be in ${maxRoomsPerConnection}`);
    }
    const size = await this.node.addMember(room, conn);
    if (size > maxRoomMembers) {
      await this.node.removeMember(room, conn.id);
      throw new CommandError(ErrorCode.RoomFull, `room full: "${room}" has ${maxRoomMembers} members`);
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
    // The membership is live; the notice need not hold the reply up (the bus keeps it
    // ahead of anything this replica publishes to the room later).
    void this.node.publish(Topics.room(room), { kind: 'join', room, from: sender(conn), clientId: conn.id, ts: Date.now() }).catch(noticeLost);
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
        roster.abandonSync();
        throw err instanceof CommandError ? err : new CommandError(ErrorCode.Unavailable, 'presence unavailable; try again');
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
      this.node.members(room).then(
        (members) => roster.finishSync(members),
        (err: unknown) => {
          roster.abandonSync();
          this.node.failed('roster resync', err, { room });
        },
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
   * replicas in batches; a publish the bus refuses still comes back as an `error` frame.
   */
  say(conn: Connection, room: string, content: string | undefined, data: unknown): void {
    if (!conn.rooms.has(room)) throw new CommandError(ErrorCode.NotInRoom, `join room "${room}" before sending to it`);
    this.node.publish(Topics.room(room), { kind: 'message', room, from: sender(conn), content, data, ts: Date.now() }).catch((err: CommandError) => {
      conn.error(err.code, err.message);
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
    const groups = room === undefined ? undefined : this.index.groups(room);
    if (!groups) return;
    if (event.kind === 'join' || event.kind === 'leave') {
      const roster = this.index.roster(room!)!;
      if (event.clientId !== undefined) {
        if (event.kind === 'join') roster.add({ clientId: event.clientId, username: event.from.name });
        else roster.remove(event.clientId);
      }
      // A notice per join to every member would make filling a room O(n²).
      if (roster.size > this.listCap) return;
      this.broadcaster.toGroups(groups, event, event.clientId);
      return;
    }
    this.metrics.roomOccupancy.observe(this.broadcaster.toGroups(groups, event));
  }

  private async leaveRoom(conn: Connection, room: string, announce = true): Promise<void> {
    const codec = conn.rooms.get(room);
    if (codec === undefined) return;
    conn.rooms.delete(room);
    if (this.index.leave(room, codec, conn)) {
      this.node.drop(Topics.room(room));
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
    if (roster && !roster.syncing) {
      const names = roster.list(this.listCap);
      return roster.total > names.length ? { kind: 'user_list', room, names, total: roster.total } : { kind: 'user_list', room, names };
    }
    // A room this replica is not in: ask presence (on request only, never per join).
    let members;
    try {
      members = await this.node.members(room);
    } catch (err) {
      this.node.failed('presence members', err, { room });
      throw new CommandError(ErrorCode.Unavailable, 'presence unavailable; try again');
    }
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
