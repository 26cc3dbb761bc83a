import type { ExpiredMember, PeerRecord, PeerState, Presence, PresenceMember, ResumedPeer } from './presence';

/** The node that holds a peer while it is away (see RedisPresence): it dies when the peer's window ends. */
const AWAY = '~peer:';

/** Shared state of the memory presence, so several nodes in one process form a cluster. */
export class MemoryPresenceStore {
  readonly rooms = new Map<string, Map<string, PresenceMember>>();
  /** nodeId → last refresh (ms) and connection count. */
  readonly nodes = new Map<string, { seen: number; connections: number; restored?: boolean }>();
  /** Resumable peers by client id. */
  readonly peers = new Map<string, PeerRecord>();
  /** userId → connectionId → the node that holds it (the per-user connection cap). */
  readonly userConnections = new Map<string, Map<string, string>>();
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

  async add(room: string, member: PresenceMember, options: { onlyNew?: boolean } = {}): Promise<number> {
    if (options.onlyNew && (this.store.rooms.get(room)?.size ?? 0) > 0) return 0;
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
    for (const [id, n] of this.store.nodes) if (!id.startsWith(AWAY) && this.alive(id)) out[id] = n.connections;
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
    for (const id of dead) this.detachPeersOf(id);
    const out: ExpiredMember[] = [];
    for (const [room, members] of this.store.rooms) {
      for (const [clientId, member] of members) {
        if (!dead.has(member.nodeId)) continue;
        members.delete(clientId);
        out.push({ room, member });
      }
      if (members.size === 0) this.store.rooms.delete(room);
    }
    for (const id of dead) this.dropNode(id);
    return out;
  }

  async removeNode(nodeId: string): Promise<void> {
    this.detachPeersOf(nodeId);
    for (const [room, members] of this.store.rooms) {
      for (const [clientId, member] of members) if (member.nodeId === nodeId) members.delete(clientId);
      if (members.size === 0) this.store.rooms.delete(room);
    }
    this.dropNode(nodeId);
  }

  async claimPeer(clientId: string, peer: PeerRecord): Promise<boolean> {
    if (this.store.peers.has(clientId)) return false;
    this.store.peers.set(clientId, { ...peer });
    return true;
  }

  async detachPeer(clientId: string, nodeId: string, rooms: readonly string[]): Promise<boolean> {
    const peer = this.store.peers.get(clientId);
    if (!peer) return false;
    if (peer.nodeId === nodeId) this.detach(clientId, peer, rooms, this.now());
    return true;
  }

  async resumePeer(clientId: string, nodeId: string, userId: string): Promise<ResumedPeer | undefined> {
    const peer = this.store.peers.get(clientId);
    if (!peer || peer.userId !== userId) return undefined;
    const from = peer.nodeId;
    const away = from.startsWith(AWAY);
    if (away && !this.alive(from)) return undefined;
    const rooms: string[] = [];
    for (const [room, members] of this.store.rooms) {
      const member = members.get(clientId);
      if (member?.nodeId !== from) continue;
      member.nodeId = nodeId;
      rooms.push(room);
    }
    if (away) this.store.nodes.delete(from);
    peer.nodeId = nodeId;
    this.touch(nodeId);
    return away ? { rooms } : { rooms, fromNode: from };
  }

  async peerState(clientId: string): Promise<PeerState | undefined> {
    const peer = this.store.peers.get(clientId);
    if (!peer) return undefined;
    if (!peer.nodeId.startsWith(AWAY)) return 'connected';
    return this.alive(peer.nodeId) ? 'away' : undefined;
  }

  async releasePeer(clientId: string): Promise<void> {
    this.store.peers.delete(clientId);
  }

  async addUserConnection(userId: string, connectionId: string, nodeId: string, cap: number): Promise<boolean> {
    let held = this.store.userConnections.get(userId);
    if (!held) this.store.userConnections.set(userId, (held = new Map()));
    for (const [id, node] of held) {
      if (this.alive(node)) continue;
      held.delete(id);
      // If that node was only stalled, it puts its connections back.
      const record = this.store.nodes.get(node);
      if (record) record.restored = false;
    }
    if (!held.has(connectionId) && held.size >= cap) return false;
    this.touch(nodeId);
    held.set(connectionId, nodeId);
    return true;
  }

  async removeUserConnection(userId: string, connectionId: string): Promise<void> {
    const held = this.store.userConnections.get(userId);
    if (held?.delete(connectionId) && held.size === 0) this.store.userConnections.delete(userId);
  }

  async close(): Promise<void> {}

  /** A node is gone: each of its registered peers waits for a resume, from the node's last refresh. */
  private detachPeersOf(nodeId: string): void {
    const base = this.store.nodes.get(nodeId)?.seen ?? this.now();
    for (const [clientId, peer] of this.store.peers) {
      if (peer.nodeId !== nodeId) continue;
      const rooms = [...this.store.rooms].filter(([, members]) => members.get(clientId)?.nodeId === nodeId).map(([room]) => room);
      this.detach(clientId, peer, rooms, base);
    }
  }

  /** Moves a peer's entries in `rooms` to its own away node, which dies at base + its window (not before now). */
  private detach(clientId: string, peer: PeerRecord, rooms: readonly string[], base: number): void {
    const away = AWAY + clientId;
    for (const room of rooms) {
      const member = this.store.rooms.get(room)?.get(clientId);
      if (member?.nodeId === peer.nodeId) member.nodeId = away;
    }
    peer.nodeId = away;
    this.store.nodes.set(away, { seen: Math.max(this.now(), base + peer.windowMs) - this.ttlMs, connections: 0 });
  }

  private dropNode(nodeId: string): void {
    this.store.nodes.delete(nodeId);
    if (nodeId.startsWith(AWAY)) this.store.peers.delete(nodeId.slice(AWAY.length));
  }

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
