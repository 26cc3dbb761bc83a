/** Bits of an id taken by the replica-local sequence; the node number fills the rest below 2^53. */
export const SEQUENCE_BITS = 20;
const SEQUENCE_SIZE = 2 ** SEQUENCE_BITS;
const MAX_NODE_NUMBER = 2 ** (53 - SEQUENCE_BITS) - 1;

/**
 * Cluster-unique positive integer ids below 2^53 with no round trip per id:
 * `nodeNumber × 2^20 + sequence`, where the node number is unique in the cluster and
 * across restarts (Presence.allocateNodeNumber) and the sequence is local. Halfway through
 * a node number's sequence the next one is fetched, so ids never run dry while the
 * store answers; `next()` is undefined only before the first node number arrived (or
 * if the store was unreachable for a whole sequence).
 */
export class IdAllocator {
  private node: number | undefined;
  private sequence = 0;
  private spare: number | undefined;
  private fetching: Promise<void> | undefined;

  constructor(
    private readonly allocateNodeNumber: () => Promise<number>,
    /** Told when a node number could not be fetched (it is retried on the next id). */
    private readonly onError: (err: unknown) => void = () => undefined,
    private readonly sequenceSize = SEQUENCE_SIZE,
  ) {}

  /** Fetches the first node number; resolves false (and retries on demand) if the store is down. */
  async start(): Promise<boolean> {
    await this.fetch();
    return this.node !== undefined || this.spare !== undefined;
  }

  next(): number | undefined {
    if (this.node === undefined || this.sequence + 1 >= this.sequenceSize) {
      this.node = this.spare;
      this.spare = undefined;
      this.sequence = 0;
      if (this.node === undefined) {
        void this.fetch();
        return undefined;
      }
    }
    this.sequence += 1;
    if (this.spare === undefined && this.sequence >= this.sequenceSize / 2) void this.fetch();
    return this.node * this.sequenceSize + this.sequence;
  }

  private fetch(): Promise<void> {
    this.fetching ??= this.allocateNodeNumber()
      .then((n) => {
        if (!Number.isSafeInteger(n) || n < 1 || n > MAX_NODE_NUMBER) throw new Error(`node number out of range: ${n}`);
        if (this.node === undefined) this.node = n;
        else this.spare = n;
      })
      .catch((err: unknown) => this.onError(err))
      .finally(() => (this.fetching = undefined));
    return this.fetching;
  }
}
