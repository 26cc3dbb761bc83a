import type { Database } from '../database';
import type { MessageRecord } from '../message.store';
import type { SqlMessageStore } from '../sql.message.store';
import type { SqlOutboxStore } from '../sql.outbox.store';
import type { SqlUserStore } from '../sql.user.store';

/** What a driver's spec hands the contract. */
export interface TestDatabase {
  db: Database;
  /**
   * A second, independent handle on the same data, as another api process would have
   * (its own pool). Drivers that cannot open one (PGlite: one process per data
   * directory) leave it out and the contract uses `db` twice.
   */
  openSecond?: () => Promise<Database>;
  /** Closes everything and throws the data away. */
  close(): Promise<void>;
}

/** The stores over one migrated, emptied database, for one test. */
export interface StoreFixture {
  db: Database;
  /** `TestDatabase.openSecond`'s handle, or `db` again. */
  second: Database;
  users: SqlUserStore;
  messages: SqlMessageStore;
  outbox: SqlOutboxStore;
}


/** Pins a message's created_at: the store stamps now(), tests need ties and a fixed order. */
export async function setCreatedAt(db: Database, id: string, at: Date): Promise<void> {
  await db.query('UPDATE messages SET created_at = $2::timestamptz WHERE id = $1', [id, at.toISOString()]);
}

/** The order history promises: createdAt then id, both descending, ids in byte order. */
export function newestFirst(a: MessageRecord, b: MessageRecord): number {
  const t = b.createdAt.getTime() - a.createdAt.getTime();
  if (t !== 0) return t;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

export const noEvent = () => [] as const;
