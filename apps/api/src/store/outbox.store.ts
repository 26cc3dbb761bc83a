/** A lifecycle event to publish on the bus once the change that caused it has committed. */
export interface OutboxEvent {
  /** Bus topic, built with `Topics` from libs/protocol. */
  topic: string;
  /** Stored as jsonb: plain JSON only (a Date comes back as its ISO string). */
  payload: unknown;
}

/** An event waiting in the outbox. */
export interface OutboxRow extends OutboxEvent {
  /** Increases in the order the rows were written. */
  id: number;
  createdAt: Date;
  /** Failed publish attempts so far. */
  attempts: number;
}

/** What one `take` did. */
export interface TakeResult {
  /** Rows published and deleted. */
  published: number;
  /** Another drain (this process or another) held the outbox; this one did nothing. */
  busy: boolean;
  /** The row whose publish failed, which stopped this take; it stays, attempts + 1. */
  failure?: { row: OutboxRow; error: unknown };
}

/**
 * The transactional outbox: message stores append events in the transaction of their
 * change; a relay (`outbox-relay.ts`) takes them out and publishes them.
 *
 * Guarantees, for every implementation:
 * - At least once: a row is deleted only after its publish resolved. A crash or lost
 *   connection between the two publishes it again later, so subscribers may (rarely) see
 *   an event twice.
 * - One drain at a time per database, across processes (a lease; a crashed drainer's
 *   lapses within seconds): a row is never being published by two drains at once, and
 *   rows go out in id order. A take that finds another drain running returns `busy` at
 *   once instead of waiting.
 * - No transaction or lock is held while `publish` runs: the database serves everything
 *   else meanwhile (on PGlite too).
 * - Order: when a publish fails, that take stops there. The row stays and nothing after
 *   it (on any topic) is published before it. Events of one message follow the order of
 *   its changes; events of concurrent transactions follow their commit order, roughly.
 */
export interface OutboxStore {
  /**
   * Publishes up to `batchSize` of the oldest rows, one after another, deleting those
   * whose publish resolved. `publish` should be bounded in time (the relay puts a timeout
   * on it): a drain that stalls past its lease loses it to another.
   */
  take(batchSize: number, publish: (row: OutboxRow) => Promise<void>): Promise<TakeResult>;
  /** Rows waiting. */
  pending(): Promise<number>;
}

/** Injection token for the OutboxStore. */
export const OUTBOX_STORE = Symbol('OUTBOX_STORE');
