import { randomUUID } from 'node:crypto';
import type { Database, Queryable } from './database';
import type { OutboxEvent, OutboxRow, OutboxStore, TakeResult } from './outbox.store';

interface Row {
  id: number;
  topic: string;
  payload: unknown;
  created_at: Date;
  attempts: number;
}

/** Largest batch one take publishes. */
const MAX_BATCH = 1000;

/**
 * Appends events to the outbox through `tx`, in order: the message stores call this in
 * the transaction of the change, so the event commits or rolls back with it.
 */
export async function appendOutbox(tx: Queryable, events: readonly OutboxEvent[]): Promise<void> {
  // One row at a time so ids follow the order of `events`.
  for (const e of events) {
    await tx.query('INSERT INTO outbox (topic, payload) VALUES ($1, $2::jsonb)', [e.topic, JSON.stringify(e.payload ?? null)]);
  }
}

/** How long a drain's claim on the outbox lasts without renewal (a crashed drainer's is taken over after it). */
const LEASE_MS = 10_000;

/**
 * OutboxStore over SQL; see `outbox.store.ts` for its guarantees. One drain at a time holds
 * the lease row (claimed and renewed by single UPDATEs); rows are read, published and
 * deleted by separate statements, so no transaction or lock is held while the bus is
 * answering.
 */
export class SqlOutboxStore implements OutboxStore {
  private readonly holder = randomUUID();

  constructor(private readonly db: Database) {}

  async take(batchSize: number, publish: (row: OutboxRow) => Promise<void>): Promise<TakeResult> {
    const limit = Math.min(Math.max(Math.trunc(batchSize) || 1, 1), MAX_BATCH);
    if (!(await this.claim())) return { published: 0, busy: true };
    try {
      const rows = await this.db.query<Row>('SELECT id, topic, payload, created_at, attempts FROM outbox ORDER BY id LIMIT $1', [limit]);
      const published: number[] = [];
      let failure: TakeResult['failure'];
      let renewAt = Date.now() + LEASE_MS / 2;
      for (const r of rows) {
        // A long batch renews its claim; one that lost it (stalled past the lease) stops.
        if (Date.now() > renewAt) {
          if (!(await this.claim())) break;
          renewAt = Date.now() + LEASE_MS / 2;
        }
        const row = toRow(r);
        try {
          await publish(row);
          published.push(row.id);
        } catch (error) {
          failure = { row, error };
          break;
        }
      }
      if (published.length > 0) await this.db.query('DELETE FROM outbox WHERE id = ANY($1::bigint[])', [published]);
      if (failure) {
        await this.db.query('UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = $1', [failure.row.id, describe(failure.error)]);
        failure.row.attempts += 1;
      }
      return { published: published.length, busy: false, failure };
    } finally {
      await this.db.query('UPDATE outbox_lease SET holder = NULL, until = NULL WHERE id = 1 AND holder = $1', [this.holder]);
    }
  }

  /** Claims (or renews) the lease: one statement, so two drains can never both hold it. */
  private async claim(): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE outbox_lease SET holder = $1, until = now() + make_interval(secs => $2)
       WHERE id = 1 AND (holder IS NULL OR holder = $1 OR until < now()) RETURNING id`,
      [this.holder, LEASE_MS / 1000],
    );
    return rows.length === 1;
  }

  async pending(): Promise<number> {
    const [row] = await this.db.query<{ n: number }>('SELECT count(*) AS n FROM outbox');
    return row.n;
  }
}

function toRow(r: Row): OutboxRow {
  return { id: r.id, topic: r.topic, payload: r.payload, createdAt: r.created_at, attempts: r.attempts };
}

function describe(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 1000);
}
