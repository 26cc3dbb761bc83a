import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Authenticator } from '@switchboard/auth';
import { BUS, type Bus, type HistoryRead, type PublishOnce, type Published, PublishUnconfirmed, publishToUser, type UserRouting } from '@switchboard/bus';
import { CONFIG, type SwitchboardConfig } from '@switchboard/config';
import { LogCoalescer, Metrics } from '@switchboard/observability';
import { type ExpiredMember, type PeerState, PRESENCE, type Presence, type PresenceMember, type ResumedPeer } from '@switchboard/presence';
import { CommandError, ErrorCode, type HubEvent, type Sender, type StreamPosition, type TopicKind, Topics } from '@switchboard/protocol';
import type { Connection } from '../transport/connection';
import { FlowControl } from '../transport/flow-control';
import { LOCAL_INTEREST, type LocalInterest } from './local-interest';
import { PresenceKeeper, type PresenceKeeperHost } from './presence-keeper';
import { TopicSubscriptions } from './topic-subscriptions';

const BUS_DOWN = 'message bus unavailable; nothing was delivered, try again';
/** A publish Redis took but did not answer in time (PublishUnconfirmed). */
const BUS_UNCONFIRMED = 'message bus did not confirm in time; the message may have been delivered: send it again with the same id to have it once';
const PRESENCE_DOWN = 'presence unavailable; try again';
/** How long a catch-up after an outage waits for the bus to have its subscriptions back. */
const BUS_LIVE_WAIT_MS = 10_000;

/**
 * Where the node hands the events of one kind of topic: `name` is what the topic names (the
 * room, the user or guest topic's id, the peer's client id; '' for broadcasts).
 */
export type Delivery = (name: string, event: HubEvent, topic: string) => void;

/** The kinds of topic a delivery can be routed for: `user` takes guest topics too. */
export type RoutedKind = Exclude<TopicKind, 'guest'>;

/**
 * This replica as a member of the cluster: it talks to the bus and presence and handles
 * their outages. It subscribes exactly the topics the local index needs (batched per turn),
 * keeps this replica's presence entries alive, publishes with metrics, and routes every
 * delivered event by its topic — room topics to the room fan-out, user and guest topics to
 * the user fan-out, peer topics to signaling, the broadcast topic to everyone — holding
 * them while flow control has paused the replica. It never renders or writes a frame.
 */
@Injectable()
export class ClusterNode implements OnModuleInit, OnApplicationShutdown, PresenceKeeperHost {
  private readonly logger = new Logger('Node');
  /** During an outage the same failure repeats per publish: one line per interval with a count. */
  private readonly warnings = new LogCoalescer((entry) => this.logger.warn(entry));
  private readonly subscriptions: TopicSubscriptions;
  private readonly keeper: PresenceKeeper;
  private readonly broadcastTopic = Topics.broadcast();
  /** Answers addressed to this replica alone (forwarded SSE uplinks). */
  private readonly ownTopic: string;
  private broadcastRetry?: NodeJS.Timeout;
  private readonly routes: Partial<Record<RoutedKind, Delivery>> = {};
  private readonly recoveredListeners: Array<() => void> = [];
  private readonly staleListeners: Array<() => void> = [];
  /** Bus events held while flow control has paused the replica, in arrival order. */
  private held: Array<[string, HubEvent]> = [];
  /** Presence removals that failed (bus down): room → client ids, retried when it is back. */
  private readonly unremoved = new Map<string, Set<string>>();
  private resyncTimer?: NodeJS.Timeout;
  private readonly heartbeatMs: number;
  /** Whether a user id may reach a guest (WEBSOCKET_GUEST_ID_NAMESPACE, registered users). */
  private readonly userRouting: UserRouting;
  /** connectionId → userId of every connection here counted against its user's cap (put back when presence lost them). */
  private readonly counted = new Map<string, string>();
  /** Whether a peer topic still has a local connection (signaling says). */
  private peerWanted: (clientId: string) => boolean = () => false;

  constructor(
    @Inject(BUS) private readonly bus: Bus,
    @Inject(PRESENCE) private readonly presence: Presence,
    @Inject(CONFIG) config: SwitchboardConfig,
    @Inject(LOCAL_INTEREST) private readonly index: LocalInterest,
    private readonly metrics: Metrics,
    private readonly flow: FlowControl,
    auth: Authenticator,
  ) {
    this.userRouting = { guestIdNamespace: config.ws.guestIdNamespace, isRegistered: (userId) => auth.isRegistered(userId) };
    this.subscriptions = new TopicSubscriptions(
      bus,
      (topic) => this.wants(topic),
      (held) => metrics.subscriptions.set(held),
      (err, topics) => this.failed('unsubscribe', err, { topics: topics.length }),
    );
    this.ownTopic = Topics.node(bus.nodeId);
    this.heartbeatMs = config.ws.heartbeatIntervalMs;
    this.keeper = new PresenceKeeper(presence, bus, this, this.heartbeatMs, (what, err) => this.failed(what, err));
    flow.onResume(() => this.releaseHeld());
  }

  get nodeId(): string {
    return this.bus.nodeId;
  }

  get connections(): number {
    return this.index.size;
  }

  /**
   * Routes the events of one kind of topic to `deliver` (one delivery per kind). The services
   * that own a kind register in their constructors, before the node starts.
   */
  route(kind: RoutedKind, deliver: Delivery): void {
    if (this.routes[kind]) throw new Error(`${kind} topics are routed already`);
    this.routes[kind] = deliver;
  }

  /** Tells the node which peer topics are still wanted when their unsubscribe runs (a peer may come back to this replica). */
  wantsPeers(check: (clientId: string) => boolean): void {
    this.peerWanted = check;
  }

  /** The bus came back after an outage: events may have been missed meanwhile. */
  onRecovered(listener: () => void): void {
    this.recoveredListeners.push(listener);
  }

  /** Presence may have changed without events (replicas restoring their entries): rosters should be re-read. */
  onRostersStale(listener: () => void): void {
    this.staleListeners.push(listener);
  }

  onModuleInit(): Promise<void> {
    return this.start();
  }

  /** Starts receiving: presence heartbeat, the broadcast topic and this replica's own. */
  async start(): Promise<void> {
    this.bus.setHandler((topic, event) => this.onBusEvent(topic, event));
    await this.keeper.start();
    await this.subscribeBroadcast();
  }

  /** Whether the bus is up, so this replica can take connections. */
  isReady(): boolean {
    return this.bus.isReady();
  }

  async onApplicationShutdown(): Promise<void> {
    clearTimeout(this.broadcastRetry);
    clearTimeout(this.resyncTimer);
    await this.keeper.stop();
    await this.bus.close().catch((err: unknown) => this.failed('bus close', err));
    await this.presence.close().catch((err: unknown) => this.failed('presence close', err));
  }

  /** Resolves once the topic is live on the bus; rejects with `unavailable` when the bus is down. */
  async want(topic: string): Promise<void> {
    try {
      await this.subscriptions.want(topic);
    } catch (err) {
      throw this.unavailable('subscribe', err);
    }
  }

  /** Unsubscribes later, unless the index wants the topic again by then. */
  drop(topic: string): void {
    this.subscriptions.drop(topic);
  }

  /** Publishes; rejects with `unavailable` (logged, counted) when the bus refuses. */
  async publish(topic: string, event: HubEvent): Promise<number> {
    try {
      const n = await this.bus.publish(topic, event);
      this.metrics.busPublished.inc();
      return n;
    } catch (err) {
      this.metrics.busErrors.labels('publish').inc();
      throw this.unavailable('publish', err, unconfirmedOr(err));
    }
  }

  /** Publishes a room event once per key within the window (Bus.publishOnce); rejects with `unavailable` as `publish` does. */
  async publishOnce(topic: string, event: HubEvent, once: PublishOnce): Promise<Published> {
    try {
      const published = await this.bus.publishOnce(topic, event, once);
      if (!published.repeat) this.metrics.busPublished.inc();
      return published;
    } catch (err) {
      this.metrics.busErrors.labels('publish').inc();
      throw this.unavailable('publish', err, unconfirmedOr(err));
    }
  }

  /** The room's history position, and what followed `since`; undefined when history is off. */
  async history(room: string, since?: StreamPosition): Promise<HistoryRead | undefined> {
    try {
      return await this.bus.history(Topics.room(room), since);
    } catch (err) {
      throw this.unavailable('history read', err);
    }
  }

  /** Reaches every connection of `to`: an authenticated user, else a guest of that name unless `to` is a registered user's id (see publishToUser). */
  async publishToUser(to: string, event: HubEvent): Promise<number> {
    try {
      const n = await publishToUser(this.bus, to, event, this.userRouting);
      this.metrics.busPublished.inc();
      return n;
    } catch (err) {
      this.metrics.busErrors.labels('publish').inc();
      throw this.unavailable('publish', err, unconfirmedOr(err));
    }
  }

  broadcast(event: HubEvent): Promise<number> {
    return this.publish(this.broadcastTopic, event);
  }

  /**
   * Adds a member to presence; returns the room's size cluster-wide. O(1) in the room's size.
   * With `onlyNew` only into a room without entries (0: refused, nothing written).
   */
  async addMember(room: string, conn: Connection, onlyNew = false): Promise<number> {
    try {
      const size = await this.presence.add(room, this.member(conn), { onlyNew });
      if (size > 0) this.metrics.presenceSize.inc();
      return size;
    } catch (err) {
      throw this.unavailable('presence add', err, PRESENCE_DOWN, { room });
    }
  }

  /** Removes a member from presence; if presence is unreachable, retries once the bus is back. */
  async removeMember(room: string, clientId: string): Promise<void> {
    try {
      if (await this.presence.remove(room, clientId)) this.metrics.presenceSize.dec();
    } catch (err) {
      this.failed('presence remove', err, { room, client: clientId });
      let clients = this.unremoved.get(room);
      if (!clients) this.unremoved.set(room, (clients = new Set()));
      clients.add(clientId);
    }
  }

  /** The room's members cluster-wide; rejects with `unavailable` (logged and counted) when presence is down. */
  async members(room: string): Promise<PresenceMember[]> {
    try {
      return await this.presence.members(room);
    } catch (err) {
      throw this.unavailable('presence members', err, PRESENCE_DOWN, { room });
    }
  }

  connectionsChanged(): void {
    this.keeper.connectionsChanged();
  }

  /** Registers a resumable peer held here; false when the id is taken. Rejects with `unavailable` when presence is down. */
  async claimPeer(clientId: string, userId: string, windowMs: number): Promise<boolean> {
    try {
      return await this.presence.claimPeer(clientId, { nodeId: this.nodeId, userId, windowMs });
    } catch (err) {
      throw this.unavailable('presence claimPeer', err, PRESENCE_DOWN);
    }
  }

  /** The peer's connection here closed: its entries wait for a resume, unless it resumed elsewhere first (false: not registered, or presence down — logged). */
  async detachPeer(clientId: string, rooms: readonly string[]): Promise<boolean> {
    try {
      return await this.presence.detachPeer(clientId, this.nodeId, rooms);
    } catch (err) {
      this.failed('presence detachPeer', err, { client: clientId });
      return false;
    }
  }

  /** Moves a peer of `userId` here; undefined when it cannot be resumed. Rejects with `unavailable` when presence is down. */
  async resumePeer(clientId: string, userId: string): Promise<ResumedPeer | undefined> {
    try {
      return await this.presence.resumePeer(clientId, this.nodeId, userId);
    } catch (err) {
      throw this.unavailable('presence resumePeer', err, PRESENCE_DOWN);
    }
  }

  /** Counts a connection of `userId` held here against its cluster-wide cap; false at the cap. Rejects when presence is down (logged). */
  async countUserConnection(userId: string, connectionId: string, cap: number): Promise<boolean> {
    try {
      const ok = await this.presence.addUserConnection(userId, connectionId, this.nodeId, cap);
      if (ok) this.counted.set(connectionId, userId);
      return ok;
    } catch (err) {
      throw this.unavailable('presence addUserConnection', err, PRESENCE_DOWN);
    }
  }

  /** The connection is gone; when presence is down it is logged (its entry stops counting once this node dies). */
  uncountUserConnection(userId: string, connectionId: string): void {
    this.counted.delete(connectionId);
    this.presence.removeUserConnection(userId, connectionId).catch((err: unknown) => this.failed('presence removeUserConnection', err));
  }

  /** Where a peer is; undefined when unknown, or when presence cannot say (logged). */
  async peerState(clientId: string): Promise<PeerState | undefined> {
    try {
      return await this.presence.peerState(clientId);
    } catch (err) {
      this.failed('presence peerState', err, { client: clientId });
      return undefined;
    }
  }

  /** Forgets a peer that left for good (a failure is logged: the registration then lasts until this node's entries go). */
  async releasePeer(clientId: string): Promise<void> {
    await this.presence.releasePeer(clientId).catch((err: unknown) => this.failed('presence releasePeer', err, { client: clientId }));
  }

  // ---- PresenceKeeperHost ----------------------------------------------------------

  *memberships(): IterableIterator<[string, PresenceMember]> {
    for (const conn of this.index.all()) for (const room of conn.rooms.keys()) yield [room, this.member(conn)];
  }

  *userConnections(): IterableIterator<[string, string]> {
    for (const [connectionId, userId] of this.counted) yield [userId, connectionId];
  }

  async announceExpired({ room, member }: ExpiredMember): Promise<void> {
    const from: Sender = { id: member.userId, name: member.username, email: member.email };
    if (member.guest) from.guest = true;
    await this.publish(Topics.room(room), { kind: 'leave', room, from, clientId: member.clientId, ts: Date.now() });
  }

  /**
   * The bus is back: finish the removals that failed meanwhile, then let the hub re-read its
   * rosters — now, and once more after a heartbeat, when every live replica has put back the
   * entries a Redis restart lost.
   */
  busRecovered(): void {
    const retry = [...this.unremoved].flatMap(([room, clients]) => [...clients].map((client) => [room, client] as const));
    this.unremoved.clear();
    void Promise.all(retry.map(([room, client]) => this.removeMember(room, client))).then(async () => {
      // Catch-up reads history only once every topic is subscribed again: an event published
      // before that would be neither in the read nor delivered live.
      await this.busLive(BUS_LIVE_WAIT_MS);
      for (const listener of this.recoveredListeners) listener();
      clearTimeout(this.resyncTimer);
      this.resyncTimer = setTimeout(() => {
        for (const listener of this.staleListeners) listener();
      }, this.heartbeatMs + 100);
      this.resyncTimer.unref();
    });
  }

  /** Resolves once the bus has every subscription back, or after `timeoutMs` (the catch-up then reads what it can). */
  private async busLive(timeoutMs: number): Promise<void> {
    for (const deadline = Date.now() + timeoutMs; !this.bus.isReady() && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 50));
  }

  // ---- delivery --------------------------------------------------------------------

  private onBusEvent(topic: string, event: HubEvent): void {
    if (this.flow.isPaused || this.held.length > 0) {
      this.held.push([topic, event]);
      return;
    }
    this.deliver(topic, event);
  }

  /** Hands an event to the delivery routed for its topic's kind. */
  private deliver(topic: string, event: HubEvent): void {
    const parsed = Topics.parse(topic);
    const kind = parsed?.kind === 'guest' ? 'user' : parsed?.kind;
    this.metrics.busDelivered.labels(parsed?.kind ?? 'other').inc();
    const deliver = kind && this.routes[kind];
    if (!deliver) {
      this.metrics.busDropped.labels('unrouted').inc();
      this.logger.debug({ msg: 'dropped an event on a topic nothing here takes', topic, kind: event.kind });
      return;
    }
    deliver(parsed!.name, event, topic);
  }

  /** Passes held events on until flow control pauses again or none are left. */
  private releaseHeld(): void {
    let i = 0;
    while (i < this.held.length && !this.flow.isPaused) {
      const [topic, event] = this.held[i++];
      this.deliver(topic, event);
    }
    this.held = i === this.held.length ? [] : this.held.slice(i);
  }

  /** Every replica hears broadcasts and its own topic; if the bus is not up yet, keep trying (readiness stays false). */
  private async subscribeBroadcast(): Promise<void> {
    try {
      await Promise.all([this.subscriptions.want(this.broadcastTopic), this.subscriptions.want(this.ownTopic)]);
    } catch (err) {
      this.logger.warn({ msg: 'bus not reachable; retrying', error: (err as Error).message });
      this.broadcastRetry = setTimeout(() => void this.subscribeBroadcast(), 1000);
      this.broadcastRetry.unref();
    }
  }

  private wants(topic: string): boolean {
    if (topic === this.broadcastTopic || topic === this.ownTopic) return true;
    const parsed = Topics.parse(topic);
    if (parsed?.kind === 'room') return this.index.hasRoom(parsed.name);
    if (parsed?.kind === 'peer') return this.peerWanted(parsed.name);
    // An SSE session topic is dropped once its connection is gone, and session ids are never reused.
    if (parsed?.kind === 'session') return false;
    return this.index.hasUser(topic);
  }

  private member(conn: Connection): PresenceMember {
    const { userId, username, email, authenticated } = conn.identity;
    const member: PresenceMember = { clientId: conn.id, userId, username, email, nodeId: this.nodeId };
    if (!authenticated) member.guest = true;
    return member;
  }

  private unavailable(what: string, err: unknown, message = BUS_DOWN, context: Record<string, unknown> = {}): CommandError {
    this.failed(what, err, context);
    return new CommandError(ErrorCode.Unavailable, message);
  }

  /** A failure the operator must see: logged with context and counted. */
  failed(what: string, err: unknown, context: Record<string, unknown> = {}): void {
    this.metrics.busErrors.labels(what).inc();
    const error = (err as Error).message;
    this.warnings.log(`${what}: ${error}`, { msg: `${what} failed`, ...context, error });
  }
}

/** What a failed publish tells the client: down (nothing delivered), or unconfirmed (maybe delivered). */
function unconfirmedOr(err: unknown): string {
  return err instanceof PublishUnconfirmed ? BUS_UNCONFIRMED : BUS_DOWN;
}
