/** How long a replica remembers how a peer left it: relays already on their way arrive well within it. */
const REMEMBER_MS = 10_000;
/** At most this many departures are remembered; the oldest go first. */
const MAX_REMEMBERED = 10_000;

/**
 * The peers that just left this replica, and whether each may resume (its connection was lost)
 * or said goodbye. A relay that arrives after its peer left is refused with that answer, which
 * presence may not give yet: the away mark or the removal is still being written.
 */
export class Departures {
  private readonly left = new Map<string, { mayResume: boolean; at: number }>();

  note(peer: string, mayResume: boolean, now = Date.now()): void {
    this.left.delete(peer);
    this.left.set(peer, { mayResume, at: now });
    if (this.left.size > MAX_REMEMBERED) this.left.delete(this.left.keys().next().value as string);
  }

  /** True: it left and may resume; false: it said goodbye; undefined: this replica does not know. */
  away(peer: string, now = Date.now()): boolean | undefined {
    const entry = this.left.get(peer);
    if (entry === undefined || now - entry.at > REMEMBER_MS) return undefined;
    return entry.mayResume;
  }
}
