import type { HistoryRead } from '@switchboard/bus';
import type { Codec, HubEvent, StreamPosition } from '@switchboard/protocol';
import type { Connection } from '../transport/connection';

/** Writes one room event to one connection, rendered by the codec it joined the room with. */
export type WriteOne = (conn: Connection, codec: Codec, event: HubEvent) => void;

type Pending =
  /** Subscribed, history being read: live events wait here. */
  | { phase: 'reading'; codec: Codec; buffer: HubEvent[]; floor?: StreamPosition }
  /** Caught up to offset `last`; a live copy of an event already sent may still be on its way. */
  | { phase: 'seam'; codec: Codec; last: number; epoch: string; until: number };

/**
 * How long after its replay a connection's late live copies are still dropped by offset. A
 * copy trails the read's reply by one turn of the event loop, not seconds; the bound keeps
 * a quiet room's notices from going one render per connection for long.
 */
const SEAM_MS = 5000;

/**
 * The seam between a room's history and its live traffic, for connections joining it.
 *
 * A join subscribes first, then reads the history (`since` → now), so nothing published
 * meanwhile is lost; live events that arrive during the read are held here, and are merged
 * with what the read returned by offset. The read's reply and the live copies travel on
 * different Redis connections, so a live copy of an event the read already returned can
 * still arrive afterwards: until the first live event past what was sent, copies are
 * dropped by offset; the rest of the room's traffic reaches them through the fan-out.
 *
 * It also remembers, per local room, the position of the last event this replica fanned
 * out, so that after a bus outage the whole room can be resumed from there: the room's live
 * events are held (`holdRoom`) while the history is read, then what was missed and what was
 * held go through the room's fan-out once each (`releaseRoom`), rendered once per codec.
 */
export class RoomRecovery {
  private readonly rooms = new Map<string, Map<Connection, Pending>>();
  private readonly delivered = new Map<string, StreamPosition>();
  /** Rooms being caught up after a bus outage: their live events, held until the read is in. */
  private readonly held = new Map<string, HubEvent[]>();

  constructor(private readonly write: WriteOne) {}

  /** From now on `conn`'s live events in `room` are held until `finish`. */
  begin(room: string, conn: Connection, codec: Codec): void {
    let pending = this.rooms.get(room);
    if (!pending) this.rooms.set(room, (pending = new Map()));
    // A connection still at its seam keeps what it was sent as a floor: no event twice.
    const seam = pending.get(conn);
    const floor = seam?.phase === 'seam' ? { offset: seam.last, epoch: seam.epoch } : undefined;
    pending.set(conn, { phase: 'reading', codec, buffer: [], floor });
  }

  /**
   * Sends `conn` what it missed after `since` (when the read recovered it), then the live
   * events held meanwhile, each once and in offset order. Call right after the confirmation.
   */
  finish(room: string, conn: Connection, since: StreamPosition | undefined, read: HistoryRead | undefined): void {
    const state = this.rooms.get(room)?.get(conn);
    if (state?.phase !== 'reading') return;
    let last = read?.position.offset ?? 0;
    if (read?.recovered && since !== undefined) {
      last = state.floor?.epoch === since.epoch ? Math.max(since.offset, state.floor.offset) : since.offset;
      for (const event of read.events) last = this.send(conn, state.codec, event, last);
    }
    for (const event of state.buffer) {
      if (isOwnNotice(event, conn)) continue;
      // Another epoch began after the read (history lost): its events are all new.
      if (read !== undefined && epochOf(event) !== undefined && epochOf(event) !== read.position.epoch) this.write(conn, state.codec, event);
      else last = this.send(conn, state.codec, event, last);
    }
    if (read === undefined) this.cancel(room, conn);
    else this.rooms.get(room)!.set(conn, { phase: 'seam', codec: state.codec, last, epoch: read.position.epoch, until: Date.now() + SEAM_MS });
  }

  /** Holds `room`'s live events from now on; false when they are held already. */
  holdRoom(room: string): boolean {
    if (this.held.has(room)) return false;
    this.held.set(room, []);
    return true;
  }

  /** Takes a live event of a room being caught up; false when the room is not held. */
  hold(room: string, event: HubEvent): boolean {
    const held = this.held.get(room);
    held?.push(event);
    return held !== undefined;
  }

  /**
   * Ends a room's catch-up: returns what its fan-out must send, in order and once each — what
   * followed `since` (when the read recovered it), then the events held meanwhile, less the
   * live copies of events the read returned. Without a read, only the held events.
   */
  releaseRoom(room: string, since: StreamPosition | undefined, read: HistoryRead | undefined): HubEvent[] {
    const held = this.held.get(room) ?? [];
    this.held.delete(room);
    if (read === undefined) return held;
    const out: HubEvent[] = [];
    let last = read.recovered && since !== undefined ? since.offset : read.position.offset;
    const take = (event: HubEvent) => {
      const offset = positionOf(event);
      if (offset === undefined || epochOf(event) !== read.position.epoch) out.push(event);
      else if (offset > last) {
        out.push(event);
        last = offset;
      }
    };
    if (read.recovered) read.events.forEach(take);
    held.forEach(take);
    return out;
  }

  /** Records that `event` was fanned out to `room` here. */
  noteDelivered(room: string, event: HubEvent): void {
    const offset = positionOf(event);
    const epoch = epochOf(event);
    if (offset === undefined || epoch === undefined) return;
    const last = this.delivered.get(room);
    if (last === undefined) this.delivered.set(room, { offset, epoch });
    else {
      last.offset = offset;
      last.epoch = epoch;
    }
  }

  /**
   * Whether a live room event was fanned out here already: a copy at or before the room's
   * position, in its epoch. Redis hands a room's events to a replica in offset order, so such
   * a copy is only ever a late one of what a catch-up read returned after a bus outage.
   */
  isRepeat(room: string, event: HubEvent): boolean {
    const offset = positionOf(event);
    const last = this.delivered.get(room);
    return offset !== undefined && last !== undefined && epochOf(event) === last.epoch && offset <= last.offset;
  }

  /** A join confirmed `position`: the room is known here from there on, unless already known. */
  noteJoined(room: string, position: StreamPosition | undefined): void {
    if (position !== undefined && !this.delivered.has(room)) this.delivered.set(room, { ...position });
  }

  /** Where this replica's fan-out in `room` stands, if known. */
  lastDelivered(room: string): StreamPosition | undefined {
    const last = this.delivered.get(room);
    return last && { ...last };
  }

  /** The room has no local member any more. */
  forgetRoom(room: string): void {
    this.delivered.delete(room);
  }

  /** Forgets `conn` in `room` (it left, or its join failed). */
  cancel(room: string, conn: Connection): void {
    const pending = this.rooms.get(room);
    if (!pending?.delete(conn)) return;
    if (pending.size === 0) this.rooms.delete(room);
  }

  /**
   * Takes a live room event for the connections being recovered in `room`; returns those it
   * took (the fan-out must skip them), or undefined when none. A connection still reading
   * gets it held; one at its seam loses a late copy of an event its replay already sent.
   * Everything else — an event past the seam, one not kept in history (notices), a seam that
   * timed out — is left to the fan-out, rendered once for the room.
   */
  intercept(room: string, event: HubEvent): ReadonlySet<Connection> | undefined {
    const pending = this.rooms.get(room);
    if (!pending) return undefined;
    const offset = positionOf(event);
    let taken: Set<Connection> | undefined;
    for (const [conn, state] of pending) {
      if (state.phase === 'reading') state.buffer.push(event);
      else if (offset === undefined) continue;
      else if (Date.now() > state.until || offset > state.last || epochOf(event) !== state.epoch) {
        this.cancel(room, conn);
        continue;
      }
      (taken ??= new Set()).add(conn);
    }
    return taken;
  }

  /** Sends `event` unless it is at or before `last`; returns the new last offset sent. */
  private send(conn: Connection, codec: Codec, event: HubEvent, last: number): number {
    const offset = positionOf(event);
    if (offset === undefined) {
      this.write(conn, codec, event);
      return last;
    }
    if (offset <= last) return last;
    this.write(conn, codec, event);
    return offset;
  }
}

function positionOf(event: HubEvent): number | undefined {
  return 'offset' in event ? event.offset : undefined;
}

function epochOf(event: HubEvent): string | undefined {
  return 'epoch' in event ? event.epoch : undefined;
}

/** A connection is not told about its own join. */
function isOwnNotice(event: HubEvent, conn: Connection): boolean {
  return (event.kind === 'join' || event.kind === 'leave') && event.clientId === conn.id;
}
