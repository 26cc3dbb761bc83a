import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { can, Permission } from '../../../../libs/auth/src';
import { BUS, type Bus, publishToUser } from '../../../../libs/bus/src';
import { CONFIG, type SwitchboardConfig } from '../../../../libs/config/src';
import { Metrics } from '../../../../libs/observability/src';
import { type ExpiredMember, PRESENCE, type Presence, type PresenceMember } from '../../../../libs/presence/src';
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
import { FlowControl } from '../transport/flow-control';
import { textFrame } from '../transport/frame';
import { LocalRooms } from './local-rooms';
import { PresenceKeeper, type PresenceKeeperHost } from './presence-keeper';
import { TopicSubscriptions } from './topic-subscriptions';

/**
 * The hub between connections and the bus. It speaks commands and events only: it keeps
 * this replica's connections and room membership, subscribes the bus to exactly what local
 * members need, publishes what clients say, and fans each delivered event out — rendered
 * once per codec, the same bytes written to every local member.
 */
@Injectable()
export class HubService implements OnModuleInit, OnApplicationShutdown, PresenceKeeperHost {
  private readonly logger = new Logger(HubService.name);
  private readonly rooms = new LocalRooms();
  /** User (and guest) topic → that user's connections here. */
  private readonly users = new Map<string, Set<Connection>>();
  /** Every connection, grouped by its endpoint's codec (for broadcasts). */
  private readonly everyone = new Map<Codec, Set<Connection>>();
  private readonly subscriptions: TopicSubscriptions;
  private readonly broadcastTopic = Topics.broadcast();
  private connectionCount = 0;
  private broadcastRetry?: NodeJS.Timeout;
  /** Bus events held while flow control has paused the replica, in arrival order. */
  private held: Array<[string, HubEvent]> = [];
  private readonly keeper: PresenceKeeper;
  /** Topics another service takes delivery of (signaling's peer topics). */
  private readonly topicRoutes: Array<{ owns(topic: string): boolean; deliver(topic: string, event: HubEvent): void }> = [];

  constructor(
    @Inject(BUS) private readonly bus: Bus,
    @Inject(PRESENCE) private readonly presence: Presence,
    @Inject(CONFIG) private readonly config: SwitchboardConfig,
    private readonly metrics: Metrics,
    private readonly flow: FlowControl,
  ) {
    flow.attach(() => this.allConnections());
    flow.onResume(() => this.releaseHeld());
    this.subscriptions = new TopicSubscriptions(
      bus,
      (topic) => this.wants(topic),
      (held) => this.metrics.subscriptions.set(held),
    );
    this.keeper = new PresenceKeeper(presence, bus, this, config.ws.heartbeatIntervalMs);
  }

  get nodeId(): string {
    return this.bus.nodeId;
  }

  get connections(): number {
    return this.connectionCount;
  }

  /** Every local connection (the heartbeat walks them). */
  *allConnections(): IterableIterator<Connection> {
    for (const group of this.everyone.values()) yield* group;
  }

  async onModuleInit(): Promise<void> {
    this.bus.setHandler((topic, event) => this.deliver(topic, event));
    await this.keeper.start();
    await this.subscribeBroadcast();
  }

  /** Every replica hears broadcasts; if the bus is not up yet, keep trying (readiness stays false). */
  private async subscribeBroadcast(): Promise<void> {
    try {
      await this.subscriptions.want(this.broadcastTopic);
    } catch (err) {
      this.logger.warn({ msg: 'bus not reachable; retrying', error: (err as Error).message });
      this.broadcastRetry = setTimeout(() => void this.subscribeBroadcast(), 1000);
      this.broadcastRetry.unref();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    clearTimeout(this.broadcastRetry);
    await this.keeper.stop();
    await this.bus.close().catch(() => undefined);
    await this.presence.close().catch(() => undefined);
  }

  /** Registers a new connection; resolves once private messages can reach it. */
  async connect(conn: Connection): Promise<void> {
    this.connectionCount += 1;
    this.keeper.connectionsChanged();
    addTo(this.everyone, conn.codec, conn);
    const topic = this.userTopic(conn);
    if (!addTo(this.users, topic, conn)) return;
    try {
      await this.subscriptions.want(topic);
    } catch (err) {
      // Without its user topic the connection would miss private messages: send it away
      // (1013, try again later); the disconnect that follows cleans up.
      conn.close(CloseCode.TryAgainLater, 'message bus unavailable', 'error');
      throw this.unavailable('subscribe', err);
    }
  }

  async disconnect(conn: Connection): Promise<void> {
    this.connectionCount -= 1;
    this.keeper.connectionsChanged();
    removeFrom(this.everyone, conn.codec, conn);
    const topic = this.userTopic(conn);
    if (removeFrom(this.users, topic, conn)) this.subscriptions.drop(topic);
    await Promise.all([...conn.rooms.keys()].map((room) => this.leaveRoom(conn, room)));
  }

  /**
   * Joins a room. The reply (`user_list`, or `channel_joined`) is returned only once the membership is live
   * cluster-wide and the bus subscription is active, so every later message reaches it.
   */
  async join(conn: Connection, room: string, style: JoinStyle, maxMembers = this.config.limits.maxRoomMembers): Promise<Reply> {
    if (!roomAllowed(conn.identity.rooms, room)) {
      throw new CommandError(ErrorCode.Forbidden, `not allowed to join room "${room}"`);
    }
    const codec = conn.roomCodec(style);
    const current = conn.rooms.get(room);
    if (current === undefined) {
      if (conn.rooms.size >= this.config.limits.maxRoomsPerConnection) {
        throw new CommandError(ErrorCode.TooManyRooms, `too many rooms: a connection may be in ${this.config.limits.maxRoomsPerConnection}`);
      }
      const size = await this.presence.add(room, this.member(conn));
      if (size > maxMembers) {
        await this.presence.remove(room, conn.id);
        throw new CommandError(ErrorCode.RoomFull, `room full: "${room}" has ${maxMembers} members`);
      }
      conn.rooms.set(room, codec);
      if (this.rooms.add(room, codec, conn)) this.metrics.rooms.set(this.rooms.count);
      try {
        await this.subscriptions.want(Topics.room(room));
      } catch (err) {
        await this.leaveRoom(conn, room, false);
        throw this.unavailable('join', err);
      }
      this.metrics.presenceSize.inc();
      await this.publish(Topics.room(room), { kind: 'join', room, from: sender(conn), clientId: conn.id, ts: Date.now() }).catch(() => undefined);
    } else if (current !== codec) {
      // Same room, other style: render for it the new way from now on.
      this.rooms.remove(room, current, conn);
      this.rooms.add(room, codec, conn);
      conn.rooms.set(room, codec);
    }
    return style === 'channel' ? { kind: 'joined', room, who: sender(conn) } : this.userList(room);
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
    this.publish(Topics.room(room), { kind: 'message', room, from: sender(conn), content, data, ts: Date.now() }).catch((err: unknown) => {
      const failure = this.unavailable('publish', err);
      conn.error(failure.code, failure.message);
    });
  }

  async broadcast(conn: Connection, data: unknown): Promise<void> {
    if (!can(conn.identity, Permission.Broadcast)) {
      throw new CommandError(ErrorCode.Forbidden, 'broadcast needs a token with the "broadcast" permission');
    }
    await this.publishOrFail(this.broadcastTopic, { kind: 'notification', from: sender(conn), data, ts: Date.now() });
  }

  /** Reaches every connection of `to`: an authenticated user of that id, else a guest who named itself so. */
  async privateMessage(conn: Connection, to: string, content: string | undefined, data: unknown): Promise<void> {
    const event: HubEvent = { kind: 'private_message', to, from: sender(conn), content, data, ts: Date.now() };
    let receivers: number;
    try {
      receivers = await publishToUser(this.bus, to, event);
      this.metrics.busPublished.inc();
    } catch (err) {
      this.metrics.busErrors.labels('publish').inc();
      throw this.unavailable('publish', err);
    }
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
   * user fan-out (after flow control, like any event). The owner subscribes its topics itself.
   */
  routeTopics(owns: (topic: string) => boolean, deliver: (topic: string, event: HubEvent) => void): void {
    this.topicRoutes.push({ owns, deliver });
  }

  /** Called by the bus for every event on a subscribed topic. */
  deliver(topic: string, event: HubEvent): void {
    this.metrics.busDelivered.labels(Topics.kindOf(topic)).inc();
    if (this.flow.isPaused || this.held.length > 0) {
      this.held.push([topic, event]);
      return;
    }
    this.fanOutEvent(topic, event);
  }

  /** Fans out held events until flow control pauses again or none are left. */
  private releaseHeld(): void {
    let i = 0;
    while (i < this.held.length && !this.flow.isPaused) {
      const [topic, event] = this.held[i++];
      this.fanOutEvent(topic, event);
    }
    this.held = i === this.held.length ? [] : this.held.slice(i);
  }

  private fanOutEvent(topic: string, event: HubEvent): void {
    for (const route of this.topicRoutes) if (route.owns(topic)) return route.deliver(topic, event);
    if (event.kind === 'private_message') {
      const conns = this.users.get(topic);
      if (conns) this.fanOutMixed(conns, event);
      return;
    }
    if (topic === this.broadcastTopic) {
      this.fanOut(this.everyone, event);
      return;
    }
    const room = Topics.roomOf(topic);
    const groups = room === undefined ? undefined : this.rooms.groups(room);
    if (!groups) return;
    const skip = event.kind === 'join' || event.kind === 'leave' ? event.clientId : undefined;
    const n = this.fanOut(groups, event, skip);
    this.metrics.roomOccupancy.observe(n);
  }

  /** Renders once per codec and writes the same frame to each member of its group. */
  private fanOut(groups: Map<Codec, Set<Connection>>, event: HubEvent, skip?: string): number {
    let sent = 0;
    let bytes = 0;
    for (const [codec, members] of groups) {
      const text = codec.render(event);
      if (text === undefined) continue;
      const frame = textFrame(text);
      let n = 0;
      if (skip === undefined) {
        for (const conn of members) if (conn.write(frame)) n++;
      } else {
        for (const conn of members) if (conn.id !== skip && conn.write(frame)) n++;
      }
      sent += n;
      bytes += n * frame.length;
    }
    this.metrics.framesOut.labels(event.kind).inc(sent);
    this.metrics.bytesOut.inc(bytes);
    return sent;
  }

  /** For small sets of connections that may speak different dialects (one user's). */
  private fanOutMixed(conns: Set<Connection>, event: HubEvent): void {
    const frames = new Map<Codec, Buffer | null>();
    let sent = 0;
    for (const conn of conns) {
      let frame = frames.get(conn.codec);
      if (frame === undefined) {
        const text = conn.codec.render(event);
        frames.set(conn.codec, (frame = text === undefined ? null : textFrame(text)));
      }
      if (frame && conn.write(frame)) {
        sent++;
        this.metrics.bytesOut.inc(frame.length);
      }
    }
    this.metrics.framesOut.labels(event.kind).inc(sent);
  }

  private async leaveRoom(conn: Connection, room: string, announce = true): Promise<void> {
    const codec = conn.rooms.get(room);
    if (codec === undefined) return;
    conn.rooms.delete(room);
    if (this.rooms.remove(room, codec, conn)) {
      this.subscriptions.drop(Topics.room(room));
      this.metrics.rooms.set(this.rooms.count);
    }
    try {
      if (await this.presence.remove(room, conn.id)) this.metrics.presenceSize.dec();
      if (announce) await this.publish(Topics.room(room), { kind: 'leave', room, from: sender(conn), clientId: conn.id, ts: Date.now() });
    } catch (err) {
      // Presence expires this entry by TTL if the removal did not reach it.
      this.logger.warn({ msg: 'leave not announced', room, client: conn.id, error: (err as Error).message });
    }
  }

  private async userList(room: string): Promise<Reply> {
    const members = await this.presence.members(room);
    return { kind: 'user_list', room, names: [...new Set(members.map((m) => m.username))] };
  }

  /** Publishes one event (counted in the bus metrics); rejects when the bus does. */
  async publish(topic: string, event: HubEvent): Promise<number> {
    try {
      const n = await this.bus.publish(topic, event);
      this.metrics.busPublished.inc();
      return n;
    } catch (err) {
      this.metrics.busErrors.labels('publish').inc();
      throw err;
    }
  }

  private async publishOrFail(topic: string, event: HubEvent): Promise<number> {
    try {
      return await this.publish(topic, event);
    } catch (err) {
      throw this.unavailable('publish', err);
    }
  }

  private unavailable(what: string, err: unknown): CommandError {
    this.logger.warn({ msg: `bus ${what} failed`, error: (err as Error).message });
    return new CommandError(ErrorCode.Unavailable, 'message bus unavailable; nothing was delivered, try again');
  }

  /** Every (room, member) this replica holds in presence. */
  *memberships(): IterableIterator<[string, PresenceMember]> {
    for (const conn of this.allConnections()) for (const room of conn.rooms.keys()) yield [room, this.member(conn)];
  }

  /** Tells a room that a member of a dead replica is gone. */
  async announceExpired({ room, member }: ExpiredMember): Promise<void> {
    const from = { id: member.userId, name: member.username, email: member.email };
    await this.publish(Topics.room(room), { kind: 'leave', room, from, clientId: member.clientId, ts: Date.now() });
  }

  private wants(topic: string): boolean {
    if (topic === this.broadcastTopic) return true;
    const room = Topics.roomOf(topic);
    return room !== undefined ? this.rooms.has(room) : this.users.has(topic);
  }

  private userTopic(conn: Connection): string {
    return conn.identity.authenticated ? Topics.user(conn.identity.userId) : Topics.guest(conn.identity.userId);
  }

  private member(conn: Connection): PresenceMember {
    const { userId, username, email } = conn.identity;
    return { clientId: conn.id, userId, username, email, nodeId: this.nodeId };
  }
}

function sender(conn: Connection): Sender {
  const { userId, username, email } = conn.identity;
  return email === undefined ? { id: userId, name: username } : { id: userId, name: username, email };
}

function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V): boolean {
  let set = map.get(key);
  const first = !set;
  if (!set) map.set(key, (set = new Set()));
  set.add(value);
  return first;
}

function removeFrom<K, V>(map: Map<K, Set<V>>, key: K, value: V): boolean {
  const set = map.get(key);
  if (!set?.delete(value)) return false;
  if (set.size > 0) return false;
  map.delete(key);
  return true;
}
