import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, type SwitchboardConfig } from '@switchboard/config';
import { can, Permission } from '@switchboard/auth';
import type { HistoryRead } from '@switchboard/bus';
import { Metrics } from '@switchboard/observability';
import { CommandError, ErrorCode, type HubEvent, type Reply, type StreamPosition, Topics } from '@switchboard/protocol';
import { ClusterNode } from '../cluster/cluster-node';
import type { Connection } from '../transport/connection';
import { Broadcaster } from './broadcaster';
import { LocalIndex } from './local-index';
import { MembershipService } from './membership.service';
import { RoomRecovery } from './room-recovery';
import { sender } from './sender';

/**
 * What is said, and who hears it: chat becomes bus events, and the events the node routes
 * here — room topics, user (and guest) topics, the broadcast topic — are fanned out to the
 * local connections by the broadcaster, rendered once per codec. Room events pass the room's
 * recovery first (joiners being resumed get them after their replay).
 */
@Injectable()
export class MessagingService {
  private readonly dedupWindowMs: number;

  constructor(
    private readonly index: LocalIndex,
    private readonly node: ClusterNode,
    private readonly membership: MembershipService,
    private readonly recovery: RoomRecovery,
    private readonly broadcaster: Broadcaster,
    private readonly metrics: Metrics,
    @Inject(CONFIG) config: SwitchboardConfig,
  ) {
    this.dedupWindowMs = config.ws.publishDedupWindowMs;
    node.route('room', (room, event) => {
      if (this.recovery.hold(room, event)) return;
      // After a catch-up, a late live copy of an event the read returned goes to nobody again.
      if (this.recovery.isRepeat(room, event)) return this.metrics.busDropped.labels('repeat').inc();
      this.toRoom(room, event);
    });
    node.route('user', (_user, event, topic) => {
      const conns = this.index.userConnections(topic);
      if (conns) this.broadcaster.toEach(conns, event);
    });
    node.route('all', (_all, event) => this.broadcaster.toGroups(this.index.byCodec, event));
    node.onRecovered(() => this.catchUpRooms());
  }

  /**
   * Publishes chat to a room without waiting for the bus to confirm, so a client's messages
   * are pipelined (the bus keeps their order on its one connection) and arrive at the other
   * replicas in batches; a publish the bus refuses still comes back as an `error` frame,
   * naming the chat frame it answers (`re`, `room`).
   */
  say(conn: Connection, room: string, content: string | undefined, data: unknown, id?: string): void {
    if (!conn.rooms.has(room)) throw new CommandError(ErrorCode.NotInRoom, `join room "${room}" before sending to it`);
    const about = conn.answering;
    const topic = Topics.room(room);
    const event: HubEvent = { kind: 'message', room, from: sender(conn), content, data, ts: Date.now() };
    const failed = (err: CommandError) => conn.error(err.code, err.message, about);
    if (id === undefined) {
      this.node.publish(topic, event).catch(failed);
      return;
    }
    // Acknowledged: published once per sender, room and id within the window, on any replica; a repeat gets the first position.
    const { identity } = conn;
    const once = { key: Topics.publishOnce(topic, `${identity.authenticated ? 'u' : 'g'}:${identity.userId}`, id), windowMs: this.dedupWindowMs };
    this.node.publishOnce(topic, event, once).then(({ position }) => conn.reply({ kind: 'ack', id, room, position }), failed);
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

  /** A room event to the room's local members, rendered once per codec. */
  private toRoom(room: string, event: HubEvent): void {
    const groups = this.index.groups(room);
    if (!groups) return;
    if (event.kind === 'join' || event.kind === 'leave') {
      if (this.membership.noticed(room, event)) this.broadcaster.toGroups(groups, event, event.clientId, this.recovery.intercept(room, event));
      return;
    }
    this.metrics.roomOccupancy.observe(this.broadcaster.toGroups(groups, event, undefined, this.recovery.intercept(room, event)));
    this.recovery.noteDelivered(room, event);
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
              list = await this.membership.userList(room);
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
   * Tells a member that stayed connected that it missed room events no history holds: its
   * join confirmation again (each dialect's own: `user_list`, or `channel_joined`) with
   * `recovered: false` and the position it goes on from, as a resume past the window gets.
   */
  private tellGap(conn: Connection, room: string, position: StreamPosition, list: Reply | undefined): void {
    // With a fresh resume token: the one it holds may name a history that is gone.
    const at = { position, recovered: false, resumeToken: this.membership.resumeToken(conn, room, position) };
    if (!conn.codec.listsMembersOnJoin) return conn.reply({ kind: 'joined', room, who: sender(conn), ...at });
    const names = list?.kind === 'user_list' ? list : { kind: 'user_list' as const, room, names: [] };
    conn.reply({ ...names, ...at });
  }

  /** Reads what followed `last`, or all of a new epoch when the history was lost since. */
  private async readSince(room: string, last: StreamPosition): Promise<{ since: StreamPosition; read: HistoryRead | undefined }> {
    const read = await this.node.history(room, last);
    if (read === undefined || read.recovered || read.position.epoch === last.epoch) return { since: last, read };
    const since = { offset: 0, epoch: read.position.epoch };
    return { since, read: await this.node.history(room, since) };
  }
}
