import { positionOf, roomOf, type ServerFrame, type StreamPosition } from './frames';

/** Messages a room missed: between `after` (the last one passed on) and `position` (where the room stands). */
export interface Gap {
  room: string;
  after?: StreamPosition;
  position?: StreamPosition;
}

/** A resume: where the room was left, and the `resume_token` of its newest join confirmation. */
export interface Since extends StreamPosition {
  resume_token?: string;
}

/**
 * Resuming rooms: the last position passed on in each joined room (from confirmations and
 * messages), and the `resume_token` of the room's newest join confirmation. A re-join presents
 * both as `since` (the server replays only to the client its token was issued to), the server
 * replays what was missed once and in order, and a message at or before the position is never
 * passed on twice. The one place that decides what a join asks for and what its confirmation
 * means.
 */
export class RoomPositions {
  private readonly positions = new Map<string, StreamPosition>();
  private readonly tokens = new Map<string, string>();

  /** What a re-join of `room` asks for: `{since}` when it has a position (with its resume token when it has one). */
  joinFields(room: string): { since?: Since } {
    const position = this.positions.get(room);
    if (!position) return {};
    const token = this.tokens.get(room);
    return { since: token === undefined ? position : { ...position, resume_token: token } };
  }

  /**
   * A join's confirmation. Resumed (`recovered: true`): the replay continues from `since`.
   * Otherwise the room goes on from the confirmation (or from a message that already came
   * after it), and when it had asked to resume, the missed messages are a gap.
   */
  confirmed(room: string, since: Since | undefined, reply: ServerFrame): Gap | undefined {
    this.keepToken(room, reply);
    const position = positionOf(reply);
    const recovered = (reply as { recovered?: unknown }).recovered === true;
    if (since && recovered) return undefined;
    const after = since && { offset: since.offset, epoch: since.epoch };
    const last = this.positions.get(room);
    const ahead = last !== undefined && position !== undefined && last.epoch === position.epoch && last.offset > position.offset;
    if (position && !ahead) this.positions.set(room, position);
    else if (!position) this.positions.delete(room);
    return after ? { room, after, position } : undefined;
  }

  /** A confirmation nobody asked for, saying the room's events were missed (the server's own catch-up failed). */
  serverGap(room: string, frame: ServerFrame): Gap {
    this.keepToken(room, frame);
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
    this.tokens.delete(room);
  }

  /** Keeps the resume token a confirmation carries (the newest one is the one to present). */
  private keepToken(room: string, confirmation: ServerFrame): void {
    const token = (confirmation as { resume_token?: unknown }).resume_token;
    if (typeof token === 'string') this.tokens.set(room, token);
  }
}
