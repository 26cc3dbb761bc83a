import { randomUUID } from 'node:crypto';
import type { Database, Queryable } from './database';
import {
  type Created,
  HISTORY_DEFAULT_LIMIT,
  HISTORY_MAX_LIMIT,
  type HistoryQuery,
  type MessageRecord,
  type MessageStore,
  type NewMessage,
  type OutboxEventBuilder,
} from './message.store';
import type { OutboxEvent } from './outbox.store';
import { appendOutbox } from './sql.outbox.store';
import { recordOf } from './record-of';

interface MessageRow {
  id: string;
  channel_id: string;
  user_id: string;
  user_email: string | null;
  username: string;
  content: string;
  created_at: Date;
  updated_at: Date | null;
}

const COLUMNS = 'id, channel_id, user_id, user_email, username, content, created_at, updated_at';
const LIVE = 'deleted_at IS NULL';

/** MessageStore over SQL; see `message.store.ts` for its guarantees. */
export class SqlMessageStore implements MessageStore {
  constructor(private readonly db: Database) {}

  async create(message: NewMessage, event: OutboxEventBuilder): Promise<MessageRecord> {
    return (await this.createOnce(message, event)).record;
  }

  createOnce(message: NewMessage, event: OutboxEventBuilder): Promise<Created> {
    return this.db.transaction(async (tx) => {
      // With a key, a concurrent insert of the same key waits for the other to commit, then does nothing.
      const [row] = await tx.query<MessageRow>(
        `INSERT INTO messages (id, channel_id, user_id, user_email, username, content, idempotency_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING RETURNING ${COLUMNS}`,
        [randomUUID(), message.channelId, message.userId, message.userEmail ?? null, message.username, message.content, message.idempotencyKey ?? null],
      );
      if (row) return { record: await withEvent(tx, toRecord(row), event), repeat: false };
      const [first] = await tx.query<MessageRow>(`SELECT ${COLUMNS} FROM messages WHERE user_id = $1 AND idempotency_key = $2`, [message.userId, message.idempotencyKey]);
      return { record: toRecord(first), repeat: true };
    });
  }

  update(id: string, content: string, event: OutboxEventBuilder): Promise<MessageRecord | undefined> {
    return this.db.transaction(async (tx) => {
      // The row lock held to commit orders this change's event after any earlier one's.
      const [row] = await tx.query<MessageRow>(
        `UPDATE messages SET content = $2, updated_at = now() WHERE id = $1 AND ${LIVE} RETURNING ${COLUMNS}`,
        [id, content],
      );
      return row ? withEvent(tx, toRecord(row), event) : undefined;
    });
  }

  delete(id: string, event: OutboxEventBuilder): Promise<MessageRecord | undefined> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx.query<MessageRow>(`SELECT ${COLUMNS} FROM messages WHERE id = $1 AND ${LIVE} FOR UPDATE`, [id]);
      if (!row) return undefined;
      // Soft: the row stays as a history cursor; the text goes.
      await tx.query(`UPDATE messages SET deleted_at = now(), content = '' WHERE id = $1`, [id]);
      return withEvent(tx, toRecord(row), event);
    });
  }

  async get(id: string): Promise<MessageRecord | undefined> {
    const [row] = await this.db.query<MessageRow>(`SELECT ${COLUMNS} FROM messages WHERE id = $1 AND ${LIVE}`, [id]);
    return row ? toRecord(row) : undefined;
  }

  async history(channelId: string, query: HistoryQuery = {}): Promise<MessageRecord[]> {
    const limit = clampLimit(query.limit);
    // Separate statements rather than "$3 IS NULL OR …", which would keep the planner
    // from using the (channel_id, created_at, id) index for the cursor.
    const rows =
      query.before === undefined
        ? await this.db.query<MessageRow>(
            `SELECT ${COLUMNS} FROM messages WHERE channel_id = $1 AND ${LIVE}
             ORDER BY created_at DESC, id DESC LIMIT $2`,
            [channelId, limit],
          )
        : await this.db.query<MessageRow>(
            // An unknown cursor makes the subquery NULL, the comparison NULL, the page empty.
            `SELECT ${COLUMNS} FROM messages WHERE channel_id = $1 AND ${LIVE}
               AND (created_at, id) < (SELECT created_at, id FROM messages WHERE id = $3)
             ORDER BY created_at DESC, id DESC LIMIT $2`,
            [channelId, limit, query.before],
          );
    return rows.map(toRecord);
  }
}

/** Stores the builder's events beside the change and resolves the record. */
async function withEvent(tx: Queryable, record: MessageRecord, build: OutboxEventBuilder): Promise<MessageRecord> {
  const built = build(record);
  const events: readonly OutboxEvent[] = Array.isArray(built) ? built : [built as OutboxEvent];
  await appendOutbox(tx, events);
  return record;
}

function clampLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return HISTORY_DEFAULT_LIMIT;
  return Math.min(Math.max(Math.trunc(limit), 1), HISTORY_MAX_LIMIT);
}

/** Columns as the record's fields (`created_at` → `createdAt`; NULL → absent). */
const toRecord: (row: MessageRow) => MessageRecord = recordOf;
