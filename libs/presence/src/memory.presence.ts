import type { ExpiredMember, Presence, PresenceMember } from './presence';

/** Shared state of the memory presence, so several nodes in one process form a cluster. */
export class MemoryPresenceStore {
  readonly rooms = new Map<string, Map<string, PresenceMember>>();
  /** nodeId → last refresh (ms) and connection count. */
  readonly nodes = new Map<string, { seen: number; connections: number; restored?: boolean }>();
  /** The last node number handed out. */
  lastNodeNumber = 0;
}

/** Presence within one process. `now` is injectable so tests can move time. */
export class MemoryPresence implements Presence {
  constructor(
    private readonly ttlMs: number,
    private readonly store = new MemoryPresenceStore(),
    private readonly now: () => number = Date.now,
  ) {}

  async add(room: string, member: PresenceMember): Promise<number> {
    this.touch(member.nodeId);
    let members = this.store.rooms.get(room);
    if (!members) this.store.rooms.set(room, (members = new Map()));
    members.set(member.clientId, member);
    return members.size;
  }

  async remove(room: string, clientId: string): Promise<boolean> {
    const members = this.store.rooms.get(room);
    if (!members?.delete(clientId)) return false;
    if (members.size === 0) this.store.rooms.delete(room);
    return true;
  }

  async allocateNodeNumber(): Promise<number> {
    // Seconds since the epoch: a restarted process starts above what it handed out before.
    this.store.lastNodeNumber = Math.max(this.store.lastNodeNumber + 1, Math.floor(this.now() / 1000));
    return this.store.lastNodeNumber;
  }

  async members(room: string): Promise<PresenceMember[]> {
    return [...(this.store.rooms.get(room)?.values() ?? [])].filter((m) => this.alive(m.nodeId));
  }

  async count(room: string): Promise<number> {
    return (await this.members(room)).length;
  }

  async rooms(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const room of this.store.rooms.keys()) {
      const n = await this.count(room);
      if (n > 0) out[room] = n;
    }
    return out;
  }

  async setConnections(nodeId: string, connections: number): Promise<void> {
    this.touch(nodeId);
    this.store.nodes.get(nodeId)!.connections = connections;
  }

  async nodes(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const [id, n] of this.store.nodes) if (this.alive(id)) out[id] = n.connections;
    return out;
  }

  async refresh(nodeId: string): Promise<boolean> {
    this.touch(nodeId);
    return this.store.nodes.get(nodeId)!.restored === true;
  }

  async markRestored(nodeId: string, entries: number): Promise<void> {
    this.touch(nodeId);
    let held = 0;
    for (const members of this.store.rooms.values()) for (const member of members.values()) if (member.nodeId === nodeId) held++;
    if (held === entries) this.store.nodes.get(nodeId)!.restored = true;
  }

  async expire(): Promise<ExpiredMember[]> {
    const dead = new Set([...this.store.nodes.keys()].filter((id) => !this.alive(id)));
    if (dead.size === 0) return [];
    const out: ExpiredMember[] = [];
    for (const [room, members] of this.store.rooms) {
      for (const [clientId, member] of members) {
        if (!dead.has(member.nodeId)) continue;
        members.delete(clientId);
        out.push({ room, member });
      }
      if (members.size === 0) this.store.rooms.delete(room);
    }
    for (const id of dead) this.store.nodes.delete(id);
    return out;
  }

  async removeNode(nodeId: string): Promise<void> {
    for (const [room, members] of this.store.rooms) {
      for (const [clientId, member] of members) if (member.nodeId === nodeId) members.delete(clientId);
      if (members.size === 0) this.store.rooms.delete(room);
    }
    this.store.nodes.delete(nodeId);
  }

  async close(): Promise<void> {}

  private touch(nodeId: string): void {
    const node = this.store.nodes.get(nodeId);
    if (node) node.seen = this.now();
    else this.store.nodes.set(nodeId, { seen: this.now(), connections: 0 });
  }

  private alive(nodeId: string): boolean {
    const node = this.store.nodes.get(nodeId);
    return node !== undefined && this.now() - node.seen <= this.ttlMs;
  }
}
