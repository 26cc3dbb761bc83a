/** One member of a room as a roster keeps it. */
export interface RosterMember {
  clientId: string;
  username: string;
}

type Change = { op: 'add'; member: RosterMember } | { op: 'remove'; clientId: string };

/**
 * Who is in one room, cluster-wide, as this replica knows it: loaded from presence once when
 * the replica subscribes to the room (or after a bus outage), then kept from the room's
 * join/leave events — so a join never reads the whole member list.
 *
 * While a snapshot is being read, changes are recorded and replayed over it once it
 * arrives, so an event that crossed the read is neither lost nor undone.
 */
export class Roster {
  private readonly members = new Map<string, string>();
  /** Username → how many of the room's connections use it (names are listed once). */
  private readonly names = new Map<string, number>();
  private pending: Change[] | undefined;
  /** The last `list` answer, kept while it stays true: a join storm into a big room reuses it. */
  private listed?: { cap: number; names: readonly string[] };
  private snapshots = 0;

  /** Distinct usernames in the room. */
  get total(): number {
    return this.names.size;
  }

  /** Connections in the room. */
  get size(): number {
    return this.members.size;
  }

  get syncing(): boolean {
    return this.pending !== undefined;
  }

  /** Whether a snapshot was ever read: from then on the roster answers, even while re-reading one. */
  get loaded(): boolean {
    return this.snapshots > 0;
  }

  add(member: RosterMember): void {
    this.pending?.push({ op: 'add', member });
    this.put(member);
  }

  remove(clientId: string): void {
    this.pending?.push({ op: 'remove', clientId });
    this.drop(clientId);
  }

  /** Starts reading a snapshot: changes from now on are replayed over it. */
  beginSync(): void {
    this.pending = [];
  }

  /** Replaces the members with the snapshot, then replays what changed while it was read. */
  finishSync(snapshot: Iterable<RosterMember>): void {
    const changes = this.pending ?? [];
    this.pending = undefined;
    this.snapshots += 1;
    this.members.clear();
    this.names.clear();
    this.listed = undefined;
    for (const member of snapshot) this.put(member);
    for (const change of changes) {
      if (change.op === 'add') this.put(change.member);
      else this.drop(change.clientId);
    }
  }

  /** A failed read: keep what the events built, stop recording. */
  abandonSync(): void {
    this.pending = undefined;
  }

  /**
   * Up to `cap` distinct usernames, in the order they first joined. The same array while the
   * answer is unchanged (names joining past the cap do not change it), so a renderer may cache
   * what it made of it.
   */
  list(cap: number): readonly string[] {
    if (this.listed?.cap === cap) return this.listed.names;
    const out: string[] = [];
    for (const name of this.names.keys()) {
      if (out.length >= cap) break;
      out.push(name);
    }
    this.listed = { cap, names: out };
    return out;
  }

  private put(member: RosterMember): void {
    if (this.members.has(member.clientId)) return;
    this.members.set(member.clientId, member.username);
    const n = this.names.get(member.username) ?? 0;
    // A new name lands at the end: it changes a list only while that list is not full.
    if (n === 0 && this.listed !== undefined && this.names.size < this.listed.cap) this.listed = undefined;
    this.names.set(member.username, n + 1);
  }

  private drop(clientId: string): void {
    const name = this.members.get(clientId);
    if (name === undefined) return;
    this.members.delete(clientId);
    const n = (this.names.get(name) ?? 1) - 1;
    if (n > 0) this.names.set(name, n);
    else {
      this.names.delete(name);
      this.listed = undefined;
    }
  }
}
