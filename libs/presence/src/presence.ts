/** One connection's membership of one room, as every replica sees it. */
export interface PresenceMember {
  /** Unique across the cluster (the connection id). */
  clientId: string;
  userId: string;
  username: string;
  email?: string;
  /** True for a guest (no credential): its user id is only a name it chose. */
  guest?: boolean;
  nodeId: string;
}

/** What presence keeps of a resumable signaling peer. */
export interface PeerRecord {
  /** The node that holds its connection. */
  nodeId: string;
  /** Its user: only the same user may resume it. */
  userId: string;
  /** How long it may be away (no connection) before it leaves its rooms, in ms. */
  windowMs: number;
}

/** A peer taken over by `resumePeer`: its rooms, and the node that held it (a live node must let go). */
export interface ResumedPeer {
  rooms: string[];
  /** The real node that held its connection, or undefined when it was away (no connection anywhere). */
  fromNode?: string;
}

/** Where a registered peer is: connected to a node, or away within its resume window. */
export type PeerState = 'connected' | 'away';

/** An entry removed because its node stopped refreshing. */
export interface ExpiredMember {
  room: string;
  member: PresenceMember;
}

/**
 * Cluster-wide presence: who is in which room, and how many connections each replica holds.
 *
 * Guarantees, for every implementation (the contract suite checks each):
 * - `add` resolves once the member is visible to `members`/`count` on every node, and returns
 *   the room's size including it. Adding a present member again changes nothing.
 * - `remove` resolves true exactly once per present member, false otherwise.
 * - A node keeps its entries alive with `refresh(nodeId)` more often than the TTL.
 *   `refresh` resolves false while presence may have lost the node's entries — it never
 *   saw `markRestored(nodeId, entries)` while holding those entries, or lost them since (Redis
 *   restarted empty, the node was expired as dead or removed): the node then adds its members
 *   again and calls `markRestored` with how many it added. Other writes (`add`,
 *   `setConnections`) never make it true.
 *   Entries of a node that stopped refreshing for longer than the TTL disappear from every
 *   read, and one `expire()` call in the cluster — exactly one — returns each of them, so
 *   that node can tell the rooms about the leave.
 * - `removeNode` drops every entry of a node at once (graceful shutdown).
 * - Empty rooms disappear from `rooms()`.
 * - `add` with `onlyNew` adds nothing and resolves 0 when the room already has entries: the
 *   check and the write are one step, so two nodes never both create a room of one name.
 *
 * Resumable peers (signaling): `claimPeer` registers a peer id, refusing one that is taken (the
 * id's collision check). `detachPeer` (its connection closed), `removeNode` and the expiry of a
 * dead node do not remove a registered peer's entries: they stay in every read, held by no
 * node, for the peer's `windowMs` (from the close, or from its dead node's last refresh); within
 * it `resumePeer` moves them to the resuming node — also from a node that still holds them,
 * which must then let the peer go (a `detachPeer` from that node afterwards changes nothing).
 * After the window `expire()` hands them out like a dead node's (exactly once) and the
 * registration is dropped. `releasePeer` forgets a peer that left.
 */
export interface Presence {
  add(room: string, member: PresenceMember, options?: { onlyNew?: boolean }): Promise<number>;
  remove(room: string, clientId: string): Promise<boolean>;
  members(room: string): Promise<PresenceMember[]>;
  count(room: string): Promise<number>;
  /** Member counts of every non-empty room. */
  rooms(): Promise<Record<string, number>>;
  /** Records how many connections a node holds (refreshes it too). */
  setConnections(nodeId: string, connections: number): Promise<void>;
  /** Connections per live node. */
  nodes(): Promise<Record<string, number>>;
  /** Keeps the node alive; false when its entries must be put back (see above). */
  refresh(nodeId: string): Promise<boolean>;
  /**
   * The node has put its `entries` entries back: `refresh` is true until presence loses them
   * again. Marks nothing when presence does not hold exactly that many entries of the node
   * (they were lost again meanwhile): the next `refresh` is then still false.
   */
  markRestored(nodeId: string, entries: number): Promise<void>;
  expire(): Promise<ExpiredMember[]>;
  removeNode(nodeId: string): Promise<void>;
  /** Registers a peer id; false (nothing written) when the id is registered already. */
  claimPeer(clientId: string, peer: PeerRecord): Promise<boolean>;
  /**
   * The peer's connection on `nodeId` closed: its entries (in `rooms`) wait for it for its window.
   * When another node holds it already (it resumed there first) nothing changes. False if it is
   * not registered.
   */
  detachPeer(clientId: string, nodeId: string, rooms: readonly string[]): Promise<boolean>;
  /** Moves a registered peer of `userId` to `nodeId`; undefined when unknown, another user's, or its window is over. */
  resumePeer(clientId: string, nodeId: string, userId: string): Promise<ResumedPeer | undefined>;
  /** Where a peer is, or undefined when it is not registered (or its window is over). */
  peerState(clientId: string): Promise<PeerState | undefined>;
  /** Forgets a peer that left for good (its rooms were left first). */
  releasePeer(clientId: string): Promise<void>;
  /**
   * Counts a connection of `userId` (held by `nodeId`) against a cluster-wide cap: adds it only
   * while the user has fewer than `cap` connections on live nodes — the check and the write are
   * one step, so handshakes racing on several nodes never pass the cap together. False (nothing
   * written) when the user is at the cap. Connections of a node that stopped refreshing no
   * longer count.
   */
  addUserConnection(userId: string, connectionId: string, nodeId: string, cap: number): Promise<boolean>;
  /** The connection closed: it no longer counts against its user's cap. */
  removeUserConnection(userId: string, connectionId: string): Promise<void>;
  /**
   * A number no other call in the cluster got, ever: a counter that only grows and never
   * falls below the clock in seconds, so it keeps growing across restarts of the process or
   * of Redis. Replicas take one per start to build cluster-unique ids from a local sequence.
   */
  allocateNodeNumber(): Promise<number>;
  close(): Promise<void>;
}

/** Injection token for Presence. */
export const PRESENCE = Symbol('PRESENCE');
