/** How long a replica remembers how a peer left it: relays already on their way arrive well within it. */
const REMEMBER_MS = 10_000;
/** At most this many departures are remembered; the oldest go first. */
const MAX_REMEMBERED = 10_000;

/** Lost (may resume), said goodbye, or resumed on another replica. */
type Departure = 'lost' | 'goodbye' | 'moved';

/**
 * The peers that just left this replica, and whether each may resume (its connection was lost),
 * said goodbye, or already resumed on another replica. A relay that arrives after its peer left
 * is refused with that answer, which presence may not give yet: the away mark or the removal is
 * still being written. One for a peer that moved is the new replica's to deliver.
 */
export class Departures {
  private readonly left = new Map<string, { how: Departure; at: number }>();

  note(peer: string, mayResume: boolean, now = Date.now()): void {
    this.remember(peer, mayResume ? 'lost' : 'goodbye', now);
  }

  /** The peer, gone from here, resumed on another replica (which said so on its topic). */
  moved(peer: string, now = Date.now()): void {
    this.remember(peer, 'moved', now);
  }

  /** True: it left and may resume; false: it said goodbye; undefined: this replica does not know (or it moved). */
  away(peer: string, now = Date.now()): boolean | undefined {
    const how = this.recent(peer, now);
    return how === undefined || how === 'moved' ? undefined : how === 'lost';
  }

  /** Whether it just resumed on another replica. */
  hasMoved(peer: string, now = Date.now()): boolean {
    return this.recent(peer, now) === 'moved';
  }

  private recent(peer: string, now: number): Departure | undefined {
    const entry = this.left.get(peer);
    return entry === undefined || now - entry.at > REMEMBER_MS ? undefined : entry.how;
  }

  private remember(peer: string, how: Departure, now: number): void {
    this.left.delete(peer);
    this.left.set(peer, { how, at: now });
    if (this.left.size > MAX_REMEMBERED) this.left.delete(this.left.keys().next().value as string);
  }
}
