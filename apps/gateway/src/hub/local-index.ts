import { Injectable } from '@nestjs/common';
import type { Codec } from '@switchboard/protocol';
import type { Connection } from '../transport/connection';
import type { LocalInterest } from '../cluster/local-interest';
import { Roster } from './roster';

/** A room's members on this replica, grouped by the codec that renders room events for them. */
export type CodecGroups = Map<Codec, Set<Connection>>;

interface LocalRoom {
  groups: CodecGroups;
  size: number;
  /** Every member cluster-wide, as far as this replica knows. */
  roster: Roster;
}

/**
 * This replica's index of who is where: every connection (grouped by its endpoint's codec,
 * for broadcasts), each user's connections, and each room's local members grouped by codec
 * (so a fan-out renders once per codec) with the room's cluster-wide roster. Pure
 * bookkeeping: no I/O, no timers.
 */
@Injectable()
export class LocalIndex implements LocalInterest {
  private readonly everyone: CodecGroups = new Map();
  private readonly users = new Map<string, Set<Connection>>();
  private readonly rooms = new Map<string, LocalRoom>();
  private connections = 0;

  get size(): number {
    return this.connections;
  }

  *all(): IterableIterator<Connection> {
    for (const group of this.everyone.values()) yield* group;
  }

  /** Every connection grouped by its endpoint's codec. */
  get byCodec(): CodecGroups {
    return this.everyone;
  }

  /** Registers a connection under its user topic; true if it is that user's first here. */
  add(conn: Connection, userTopic: string): boolean {
    this.connections += 1;
    addTo(this.everyone, conn.codec, conn);
    return addTo(this.users, userTopic, conn);
  }

  /** Forgets a connection (not its rooms); true if it was that user's last here. */
  remove(conn: Connection, userTopic: string): boolean {
    this.connections -= 1;
    removeFrom(this.everyone, conn.codec, conn);
    return removeFrom(this.users, userTopic, conn);
  }

  userConnections(userTopic: string): Set<Connection> | undefined {
    return this.users.get(userTopic);
  }

  hasUser(userTopic: string): boolean {
    return this.users.has(userTopic);
  }

  /** Adds a local member; true if it is the room's first here (a new roster to load). */
  join(room: string, codec: Codec, conn: Connection): boolean {
    let local = this.rooms.get(room);
    const first = !local;
    if (!local) this.rooms.set(room, (local = { groups: new Map(), size: 0, roster: new Roster() }));
    let group = local.groups.get(codec);
    if (!group) local.groups.set(codec, (group = new Set()));
    if (!group.has(conn)) {
      group.add(conn);
      local.size += 1;
    }
    return first;
  }

  /** Removes a local member; true if the room has no local member left (roster dropped). */
  leave(room: string, codec: Codec, conn: Connection): boolean {
    const local = this.rooms.get(room);
    const group = local?.groups.get(codec);
    if (!local || !group?.delete(conn)) return false;
    if (group.size === 0) local.groups.delete(codec);
    local.size -= 1;
    if (local.size > 0) return false;
    this.rooms.delete(room);
    return true;
  }

  /** The room's local members by codec, or undefined when none is here. */
  groups(room: string): CodecGroups | undefined {
    return this.rooms.get(room)?.groups;
  }

  roster(room: string): Roster | undefined {
    return this.rooms.get(room)?.roster;
  }

  hasRoom(room: string): boolean {
    return this.rooms.has(room);
  }

  /** Rooms with a local member. */
  roomNames(): IterableIterator<string> {
    return this.rooms.keys();
  }

  get roomCount(): number {
    return this.rooms.size;
  }
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
