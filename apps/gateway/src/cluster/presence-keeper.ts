import { Logger } from '@nestjs/common';
import type { Bus } from '@switchboard/bus';
import type { ExpiredMember, Presence, PresenceMember } from '@switchboard/presence';

/** How soon a change in the connection count reaches presence (stats). */
const COUNT_REPORT_MS = 100;
/** How often the bus state is sampled to notice it came back. */
const BUS_WATCH_MS = 200;

/** What the keeper reads from, and tells, the hub. */
export interface PresenceKeeperHost {
  readonly nodeId: string;
  readonly connections: number;
  /** Every (room, member) this replica holds. */
  memberships(): Iterable<[string, PresenceMember]>;
  /** Every (userId, connectionId) this replica counted against WEBSOCKET_MAX_CONNECTIONS_PER_USER. */
  userConnections(): Iterable<[string, string]>;
  /** A dead replica's member was retired: tell its room. */
  announceExpired(expired: ExpiredMember): Promise<void>;
  /** The bus is back after an outage (presence was just restored). */
  busRecovered(): void;
}

/**
 * Keeps this replica's presence true: refreshes its entries every heartbeat, retires the
 * entries of replicas that died (announcing a `leave` for each), reports the connection
 * count soon after it changes, and puts the entries back when presence lost them (Redis
 * restarted empty, or this replica stalled past the TTL) — at once when the bus returns.
 */
export class PresenceKeeper {
  private readonly logger = new Logger('Presence');
  private timers: NodeJS.Timeout[] = [];
  private countTimer?: NodeJS.Timeout;
  /**
   * Set when presence or the bus was unreachable: events may have been missed, so the next
   * successful refresh puts every entry back and tells the host (rosters are re-read).
   * Presence itself tells when it lost the entries (`refresh` false).
   */
  private lost = false;
  private keeping?: Promise<void>;

  constructor(
    private readonly presence: Presence,
    private readonly bus: Bus,
    private readonly host: PresenceKeeperHost,
    private readonly heartbeatMs: number,
    /** A presence write that failed and goes on: logged and counted by the caller. */
    private readonly onError: (what: string, err: unknown) => void,
  ) {}

  async start(): Promise<void> {
    const beat = setInterval(() => void this.keep(), this.heartbeatMs);
    const watch = setInterval(() => {
      if (!this.bus.isReady()) this.lost = true;
      else if (this.lost) void this.keep();
    }, BUS_WATCH_MS);
    this.timers = [beat, watch];
    for (const t of this.timers) t.unref();
    await this.keep();
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    clearTimeout(this.countTimer);
    await this.presence.removeNode(this.host.nodeId).catch((err: unknown) => this.onError('presence removeNode', err));
  }

  /** The connection count changed: one presence write for a burst of changes. */
  connectionsChanged(): void {
    if (this.countTimer) return;
    this.countTimer = setTimeout(() => {
      this.countTimer = undefined;
      this.presence.setConnections(this.host.nodeId, this.host.connections).catch((err: unknown) => this.onError('presence setConnections', err));
    }, COUNT_REPORT_MS);
    this.countTimer.unref();
  }

  /** Refreshes this replica's entries (one run at a time); after a loss, puts them all back. */
  keep(): Promise<void> {
    this.keeping ??= this.refresh().finally(() => (this.keeping = undefined));
    return this.keeping;
  }

  private async refresh(): Promise<void> {
    const { nodeId } = this.host;
    try {
      await this.presence.setConnections(nodeId, this.host.connections);
      const intact = await this.presence.refresh(nodeId);
      if (!intact || this.lost) {
        this.lost = false;
        await this.presence.markRestored(nodeId, await this.restore());
        this.host.busRecovered();
      }
      for (const expired of await this.presence.expire()) await this.host.announceExpired(expired);
    } catch (err) {
      this.lost = true;
      this.onError('presence refresh', err);
    }
  }

  /** Puts every entry of this replica back; resolves how many. */
  private async restore(): Promise<number> {
    let restored = 0;
    for (const [room, member] of this.host.memberships()) {
      await this.presence.add(room, member);
      restored++;
    }
    if (restored > 0) this.logger.log({ msg: 'presence entries restored', entries: restored });
    // The per-user counts too (past any cap: these connections are open); not entries of the node's index.
    for (const [userId, connectionId] of this.host.userConnections()) {
      await this.presence.addUserConnection(userId, connectionId, this.host.nodeId, Number.MAX_SAFE_INTEGER);
    }
    return restored;
  }
}
