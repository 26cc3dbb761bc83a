import type { Codec } from '../../../../libs/protocol/src';
import type { Connection } from '../transport/connection';

/**
 * This replica's members of each room, grouped by the codec that renders room events for
 * them, so a fan-out renders once per codec and writes the same bytes to the whole group.
 */
export class LocalRooms {
  private readonly rooms = new Map<string, Map<Codec, Set<Connection>>>();
  private readonly sizes = new Map<string, number>();

  /** Adds a member; returns true if it is the room's first local member. */
  add(room: string, codec: Codec, conn: Connection): boolean {
    let groups = this.rooms.get(room);
    const first = !groups;
    if (!groups) this.rooms.set(room, (groups = new Map()));
    let group = groups.get(codec);
    if (!group) groups.set(codec, (group = new Set()));
    if (!group.has(conn)) {
      group.add(conn);
      this.sizes.set(room, (this.sizes.get(room) ?? 0) + 1);
    }
    return first;
  }

  /** Removes a member; returns true if the room has no local member left. */
  remove(room: string, codec: Codec, conn: Connection): boolean {
    const groups = this.rooms.get(room);
    const group = groups?.get(codec);
    if (!groups || !group?.delete(conn)) return false;
    if (group.size === 0) groups.delete(codec);
    const size = (this.sizes.get(room) ?? 1) - 1;
    if (size > 0) {
      this.sizes.set(room, size);
      return false;
    }
    this.rooms.delete(room);
    this.sizes.delete(room);
    return true;
  }

  groups(room: string): Map<Codec, Set<Connection>> | undefined {
    return this.rooms.get(room);
  }

  size(room: string): number {
    return this.sizes.get(room) ?? 0;
  }

  has(room: string): boolean {
    return this.rooms.has(room);
  }

  get count(): number {
    return this.rooms.size;
  }

  names(): IterableIterator<string> {
    return this.rooms.keys();
  }
}
