import { isRoomName, type JoinStyle, type StreamPosition } from '@switchboard/protocol';
import type { RoomMark } from '../outbound-frame';

/** A room as an SSE stream's event id names it: how it was joined and how far the client has it. */
export interface MarkedRoom {
  room: string;
  style: JoinStyle;
  /** The last publication of the room the client was sent (or its join confirmation's position). */
  position?: StreamPosition;
  /** The resume token of the room's newest join confirmation, presented again on resume (when the server issues them). */
  token?: string;
}

/** The version tag every event id starts with. */
const VERSION = '1';
const STYLE = /^[A-Za-z0-9_-]{1,16}$/;
/** An epoch as the id writes it: `!` stands for the `~` of an empty room's epoch (`~<run>.<ms>`), since `~` separates fields. */
const EPOCH = /^!?[A-Za-z0-9_.-]{1,64}$/;
const OFFSET = /^\d{1,15}$/;
const TOKEN = /^[A-Za-z0-9_.-]{1,512}$/;

/**
 * The event id of a stream whose client is in `rooms`:
 * `1` then, per room, `,room~style[~epoch~offset[~token]]`. Room names, styles, epochs and
 * tokens never hold `,` or `~` (see the patterns; an empty room's epoch is written with `!`
 * for its leading `~`), so it reads back unambiguously.
 */
export function formatEventId(rooms: Iterable<MarkedRoom>): string {
  let id = VERSION;
  for (const r of rooms) {
    const e = entry(r, false);
    id += e.offset === undefined ? e.head + e.tail : e.head + e.offset + e.tail;
  }
  return id;
}

/** Reads a `Last-Event-ID` this server wrote; `styles` are the join styles of the stream's dialect. */
export function parseEventId(text: string, styles: ReadonlySet<string>): MarkedRoom[] | { bad: string } {
  const [version, ...entries] = text.split(',');
  if (version !== VERSION) return { bad: 'Last-Event-ID is not one this server wrote' };
  const rooms: MarkedRoom[] = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    const [room, style, epoch, offset, token, ...rest] = entry.split('~');
    const positioned = epoch !== undefined;
    if (
      rest.length > 0 ||
      !isRoomName(room) ||
      !STYLE.test(style ?? '') ||
      !styles.has(style) ||
      (positioned && (!EPOCH.test(epoch) || !OFFSET.test(offset ?? ''))) ||
      (token !== undefined && !TOKEN.test(token)) ||
      seen.has(room)
    ) {
      return { bad: `Last-Event-ID names a room it cannot resume: "${entry.slice(0, 160)}"` };
    }
    seen.add(room);
    const marked: MarkedRoom = { room, style };
    if (positioned) marked.position = { epoch: epoch.startsWith('!') ? `~${epoch.slice(1)}` : epoch, offset: Number(offset) };
    if (token !== undefined) marked.token = token;
    rooms.push(marked);
  }
  return rooms;
}

/** A room's mark, with the text of its entry in the id kept between moves. */
interface Entry {
  room: string;
  style: JoinStyle;
  epoch?: string;
  offset?: number;
  token?: string;
  /** Named by the Last-Event-ID the stream resumed from, and not yet joined again. */
  pending: boolean;
  /** Written by a publication that came before the room's join confirmation. */
  early: boolean;
  /** `,room~style~epoch~` (or `,room~style` without a position): the entry's text up to its offset. */
  head: string;
  /** `~token`, or ''. */
  tail: string;
  /** `tail` and the line's end, as written after the offset. */
  end: Buffer;
}

function entry(r: MarkedRoom, pending: boolean, early = false): Entry {
  const e: Entry = { room: r.room, style: r.style, epoch: r.position?.epoch, offset: r.position?.offset, token: r.token, pending, early, head: '', tail: '', end: NO_TAIL };
  return reheaded(e);
}

/** Recomputes the cached text of an entry after its style, epoch or token changed. */
function reheaded(e: Entry): Entry {
  e.head = `,${e.room}~${e.style}${e.epoch === undefined ? '' : `~${e.epoch.startsWith('~') ? `!${e.epoch.slice(1)}` : e.epoch}~`}`;
  e.tail = e.token === undefined ? '' : `~${e.token}`;
  e.end = e.token === undefined ? NO_TAIL : Buffer.from(`${e.tail}\n`, 'latin1');
  return e;
}

const NO_TAIL = Buffer.from('\n');

/** What the stream's connection says about its rooms. */
export interface RoomsOfConnection {
  /** The join style a room the connection is in was joined with; undefined when it is not in it. */
  styleOf(room: string): JoinStyle | undefined;
}

/**
 * What an SSE stream's client has of each of its rooms, as its event id says it: the newest
 * event id the client received names every room of the session with the last publication of
 * it the client was sent, so that EventSource's reconnect (`Last-Event-ID`) resumes every room
 * from there — nothing lost, nothing twice — on whichever replica it reaches.
 *
 * It follows what is written to the stream, in order: join confirmations (a plain join starts
 * at the confirmed position; a resume keeps where the client stood, since what it missed is
 * sent next), each kept room publication, and leaves. A publication moves one offset, so the
 * id is rebuilt from each room's cached text (one concatenation per room).
 */
export class RoomMarks {
  private readonly rooms = new Map<string, Entry>();
  /** Where a resuming join the client sent starts (its `since`), until its confirmation. */
  private readonly resuming = new Map<string, StreamPosition>();
  private moved = false;
  /** Entries that may name a room the connection is not in (resumed, or written before a confirmation): checked when the id is built. */
  private unsure = 0;
  private conn?: RoomsOfConnection;

  /** `resumed`: the rooms of the Last-Event-ID this stream resumes from, joined again as it opens. */
  constructor(resumed: readonly MarkedRoom[] = []) {
    for (const r of resumed) this.rooms.set(r.room, entry(r, true));
    this.unsure = resumed.length;
  }

  /** The connection whose rooms these are (set once it exists). */
  attach(conn: RoomsOfConnection): void {
    this.conn = conn;
  }

  /** True when the id changed since it was last taken: the next event carries it. */
  get hasMoved(): boolean {
    return this.moved;
  }

  /** The current event id; the next event carries none unless something moves again. */
  take(): string {
    this.moved = false;
    let id = VERSION;
    for (const e of this.rooms.values()) {
      if (this.unsure > 0 && !e.pending && e.early && this.conn?.styleOf(e.room) === undefined) continue;
      id += e.offset === undefined ? e.head + e.tail : e.head + e.offset + e.tail;
    }
    return id;
  }

  /**
   * When the session is in `mark`'s room alone and the mark moved it there, what its id says
   * before that offset: recipients with the same key share the start of the id line per frame
   * (`idStart`), and each ends it with its own `idEnd`. Undefined otherwise (build the id with `take`).
   */
  sharedKey(mark: RoomMark): string | undefined {
    if (this.rooms.size !== 1 || this.unsure > 0) return undefined;
    const e = this.rooms.get(mark.room);
    return e !== undefined && e.offset === mark.offset && e.epoch === mark.epoch ? e.head : undefined;
  }

  /** The `id:` line up to the offset, for a session whose `sharedKey` is this one's. */
  idStart(mark: RoomMark): string {
    const e = this.rooms.get(mark.room)!;
    return `id: ${VERSION}${e.head}${e.offset}`;
  }

  /** The rest of the `id:` line after `idStart` (the room's resume token, the line end): the id is taken. */
  idEnd(mark: RoomMark): Buffer {
    this.moved = false;
    return this.rooms.get(mark.room)!.end;
  }

  /** A kept publication of a room is being written. */
  published(mark: RoomMark): void {
    const e = this.rooms.get(mark.room);
    if (e === undefined) {
      // A publication before the join's confirmation (live traffic during the join).
      const style = this.conn?.styleOf(mark.room);
      if (style === undefined) return;
      this.rooms.set(mark.room, entry({ room: mark.room, style, position: { offset: mark.offset, epoch: mark.epoch } }, false, true));
      this.unsure++;
    } else if (e.epoch !== mark.epoch) {
      e.epoch = mark.epoch;
      e.offset = mark.offset;
      reheaded(e);
    } else if (e.offset === undefined || mark.offset > e.offset) {
      e.offset = mark.offset;
    } else {
      return;
    }
    this.moved = true;
  }

  /** The client asked to join `room` from `since` (a resume of its own). */
  joining(room: string, since: StreamPosition): void {
    if (!this.rooms.has(room)) this.resuming.set(room, since);
  }

  /**
   * A join confirmation is being written. `recovered` true: what the client missed follows,
   * so it stands where it stood (the Last-Event-ID's or its own `since`); false: nothing
   * follows, it goes on from `position`; absent (a plain join): from `position`, or from a
   * later publication it was already sent.
   */
  confirmed(room: string, position: StreamPosition | undefined, recovered: boolean | undefined, token?: string): void {
    const style = this.conn?.styleOf(room);
    if (style === undefined) return;
    const e = this.rooms.get(room);
    const known = e?.epoch !== undefined ? { epoch: e.epoch, offset: e.offset! } : this.resuming.get(room);
    let at = position;
    if (position === undefined || (recovered === true && known !== undefined)) at = known;
    else if (recovered === undefined && known !== undefined && known.epoch === position.epoch && known.offset > position.offset) at = known;
    this.resuming.delete(room);
    if (e !== undefined) this.forget(e);
    this.rooms.set(room, entry({ room, style, position: at, token: token ?? e?.token }, false));
    this.moved = true;
  }

  /** The client left `room`. */
  left(room: string): void {
    this.resuming.delete(room);
    const e = this.rooms.get(room);
    if (e === undefined) return;
    this.forget(e);
    this.rooms.delete(room);
    this.moved = true;
  }

  /** The stream's resuming joins are done: a room of the Last-Event-ID that was not joined again (refused) is forgotten. */
  settled(): void {
    for (const [room, e] of this.rooms) {
      if (!e.pending) continue;
      this.forget(e);
      this.rooms.delete(room);
      this.moved = true;
    }
  }

  private forget(e: Entry): void {
    if (e.pending || e.early) this.unsure--;
  }
}
