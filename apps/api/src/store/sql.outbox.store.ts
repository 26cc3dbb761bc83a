import type { Database, Queryable } from './database';
import type { OutboxEvent, OutboxRow, OutboxStore, TakeResult } from './outbox.store';

interface Row {
  id: number;
  topic: string;
  payload: unknown;
  created_at: Date;
  attempts: number;
}

/** Largest batch one take will hold a transaction open for. */
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

/** OutboxStore over SQL; see `outbox.store.ts` for its guarantees. */
export class SqlOutboxStore implements OutboxStore {
  constructor(private readonly db: Database) {}

  take(batchSize: number, publish: (row: OutboxRow) => Promise<void>): Promise<TakeResult> {
    const limit = Math.min(Math.max(Math.trunc(batchSize) || 1, 1), MAX_BATCH);
    return this.db.transaction(async (tx) => {
      // One drain per schema at a time, not row locks with SKIP LOCKED: two drains on
      // disjoint batches would publish one topic's events out of order.
      const [{ locked }] = await tx.query<{ locked: boolean }>(
        `SELECT pg_try_advisory_xact_lock(hashtext('switchboard.outbox:' || coalesce(current_schema(), ''))) AS locked`,
      );
      if (!locked) return { published: 0, busy: true };
      const rows = await tx.query<Row>('SELECT id, topic, payload, created_at, attempts FROM outbox ORDER BY id LIMIT $1', [limit]);
      const published: number[] = [];
      let failure: TakeResult['failure'];
      for (const r of rows) {
        const row = toRow(r);
        try {
          await publish(row);
          published.push(row.id);
        } catch (error) {
          failure = { row, error };
          break;
        }
      }
      if (published.length > 0) await tx.query('DELETE FROM outbox WHERE id = ANY($1::bigint[])', [published]);
      if (failure) {
        await tx.query('UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = $1', [failure.row.id, describe(failure.error)]);
        failure.row.attempts += 1;
      }
      return { published: published.length, busy: false, failure };
    });
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
