import { positionOf, roomOf, type ServerFrame, type StreamPosition } from './frames';

/** Messages a room missed: between `after` (the last one passed on) and `position` (where the room stands). */
export interface Gap {
  room: string;
  after?: StreamPosition;
  position?: StreamPosition;
}

/**
 * Resuming rooms: the last position passed on in each joined room (from confirmations and
 * messages). A re-join presents it as `since`, the server replays what was missed once and in
 * order, and a message at or before it is never passed on twice. The one place that decides
 * what a join asks for and what its confirmation means.
 */
export class RoomPositions {
  private readonly positions = new Map<string, StreamPosition>();

  /** What a re-join of `room` asks for: `{since}` when it has a position. */
  joinFields(room: string): { since?: StreamPosition } {
    const since = this.positions.get(room);
    return since ? { since } : {};
  }

  /**
   * A join's confirmation. Resumed (`recovered: true`): the replay continues from `since`.
   * Otherwise the room goes on from the confirmation (or from a message that already came
   * after it), and when it had asked to resume, the missed messages are a gap.
   */
  confirmed(room: string, since: StreamPosition | undefined, reply: ServerFrame): Gap | undefined {
    const position = positionOf(reply);
    const recovered = (reply as { recovered?: unknown }).recovered === true;
    if (since && recovered) return undefined;
    const last = this.positions.get(room);
    const ahead = last !== undefined && position !== undefined && last.epoch === position.epoch && last.offset > position.offset;
    if (position && !ahead) this.positions.set(room, position);
    else if (!position) this.positions.delete(room);
    return since ? { room, after: since, position } : undefined;
  }

  /** A confirmation nobody asked for, saying the room's events were missed (the server's own catch-up failed). */
  serverGap(room: string, frame: ServerFrame): Gap {
    const position = positionOf(frame);
    const gap = { room, after: this.positions.get(room), position };
    if (position) this.positions.set(room, position);
    return gap;
  }

  /** Records a room message's position; false for one already passed on. */
  advance(frame: ServerFrame): boolean {
    const room = roomOf(frame);
    const position = positionOf(frame);
    if (room === undefined || position === undefined) return true;
    const last = this.positions.get(room);
    if (last && last.epoch === position.epoch && position.offset <= last.offset) return false;
    this.positions.set(room, position);
    return true;
  }

  forget(room: string): void {
    this.positions.delete(room);
  }
}
