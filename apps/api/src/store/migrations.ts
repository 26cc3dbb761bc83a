import type { Database } from './database';

/** One schema change. Statements run in order, one per query (PGlite takes one at a time). */
export interface Migration {
  version: number;
  name: string;
  statements: readonly string[];
}

/**
 * The schema, oldest first. Append only: never edit or reorder a released migration, a
 * database that already ran it will not run it again.
 *
 * Deleting a message is soft: `deleted_at` is set and the content blanked. The row stays
 * so a client paging history with that message as its `before` cursor keeps its place.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'users',
    statements: [
      `CREATE TABLE users (
        id text PRIMARY KEY,
        username text NOT NULL,
        email text,
        password_hash text NOT NULL,
        api_key_hash text NOT NULL,
        permissions text[] NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now()
      )`,
      // Alice and ALICE are one user; the name keeps the case it was registered with.
      `CREATE UNIQUE INDEX users_username_lower_key ON users (lower(username))`,
      `CREATE UNIQUE INDEX users_api_key_hash_key ON users (api_key_hash)`,
    ],
  },
  {
    version: 2,
    name: 'messages',
    statements: [
      // Byte order ("C") for ids: ties on created_at sort the same on every server.
      `CREATE TABLE messages (
        id text COLLATE "C" PRIMARY KEY,
        channel_id text NOT NULL,
        user_id text NOT NULL,
        user_email text,
        username text NOT NULL,
        content text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz,
        deleted_at timestamptz
      )`,
      // History pages walk this index newest first from a (created_at, id) cursor.
      `CREATE INDEX messages_channel_history_idx ON messages (channel_id, created_at DESC, id DESC)`,
    ],
  },
  {
    version: 3,
    name: 'outbox',
    statements: [
      `CREATE TABLE outbox (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        topic text NOT NULL,
        payload jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        attempts integer NOT NULL DEFAULT 0,
        last_error text
      )`,
    ],
  },
  {
    version: 4,
    name: 'outbox_lease',
    statements: [
      // Who drains the outbox, until when: one row, claimed with one UPDATE.
      `CREATE TABLE outbox_lease (
        id integer PRIMARY KEY CHECK (id = 1),
        holder text,
        until timestamptz
      )`,
      `INSERT INTO outbox_lease (id) VALUES (1)`,
    ],
  },
  {
    version: 5,
    name: 'users_email_unique',
    statements: [
      // An email belongs to one user, regardless of case. Where earlier versions let several
      // users register one email, the first to register keeps it; the others' is cleared.
      `UPDATE users SET email = NULL WHERE id IN (
        SELECT id FROM (
          SELECT id, row_number() OVER (PARTITION BY lower(email) ORDER BY created_at, id) AS n FROM users WHERE email IS NOT NULL
        ) ranked WHERE n > 1
      )`,
      `CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email))`,
    ],
  },
  {
    version: 6,
    name: 'messages_idempotency_key',
    statements: [
      // POST /api/v1/messages with an Idempotency-Key: one message per author and key.
      `ALTER TABLE messages ADD COLUMN idempotency_key text`,
      `CREATE UNIQUE INDEX messages_idempotency_key ON messages (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL`,
    ],
  },
];

/**
 * Brings the schema up to date and resolves with the versions it applied (`[]` when
 * there was nothing to do). Run at start-up, before anything else touches the store.
 *
 * - Idempotent: applied versions are recorded in `schema_migrations` and skipped.
 * - All pending migrations apply in one transaction: all of them or none.
 * - Safe when several processes start at once: a transaction-scoped advisory lock (per
 *   schema) lets one migrate while the others wait, then find nothing left to do.
 */
export async function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i].version <= migrations[i - 1].version) throw new Error(`migration versions must increase: ${migrations[i].version}`);
  }
  return db.transaction(async (tx) => {
    // Taken before CREATE TABLE IF NOT EXISTS: two of those racing can still collide.
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('switchboard.migrations:' || coalesce(current_schema(), '')))`);
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const rows = await tx.query<{ version: number }>('SELECT version FROM schema_migrations');
    const done = new Set(rows.map((r) => r.version));
    const applied: number[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      for (const sql of m.statements) await tx.query(sql);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push(m.version);
    }
    return applied;
  });
}
