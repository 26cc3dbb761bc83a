import { randomBytes } from 'node:crypto';
import { migrate, MIGRATIONS } from './migrations';
import { PostgresDatabase } from './postgres.database';
import { SqlOutboxStore } from './sql.outbox.store';
import { storeContract } from './testing/store.contract';

/** A real server is required: an unreachable one fails these tests, it never skips them. */
const DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';

const freshSchema = () => `sb_store_test_${randomBytes(6).toString('hex')}`;

async function open(schema: string, url = DATABASE_URL): Promise<PostgresDatabase> {
  try {
    return await PostgresDatabase.open(url, { schema, connectTimeoutMs: 5000 });
  } catch (err) {
    throw new Error(`${(err as Error).message} (these tests need a PostgreSQL server: start one or set TEST_DATABASE_URL)`);
  }
}

async function dropSchema(schema: string): Promise<void> {
  const admin = new PostgresDatabase(DATABASE_URL, { connectTimeoutMs: 5000 });
  try {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await admin.close();
  }
}

storeContract('PostgreSQL', async () => {
  const schema = freshSchema();
  const db = await open(schema);
  return {
    db,
    openSecond: () => open(schema),
    close: async () => {
      await db.close();
      await dropSchema(schema);
    },
  };
});

describe('PostgresDatabase', () => {
  const schemas: string[] = [];
  const opened: PostgresDatabase[] = [];
  const use = async (schema = freshSchema(), url = DATABASE_URL) => {
    const db = await open(schema, url);
    opened.push(db);
    if (!schemas.includes(schema)) schemas.push(schema);
    return db;
  };

  afterAll(async () => {
    await Promise.all(opened.map((db) => db.close()));
    for (const schema of schemas) await dropSchema(schema);
  }, 30_000);

  it('keeps each schema to itself', async () => {
    const [a, b] = [await use(), await use()];
    await migrate(a);
    await a.query(`INSERT INTO outbox (topic, payload) VALUES ('only-in-a', '{}')`);
    expect(await migrate(b)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(await b.query('SELECT topic FROM outbox')).toEqual([]);
    expect(await a.query('SELECT topic FROM outbox')).toEqual([{ topic: 'only-in-a' }]);
  });

  it('gives an email shared by earlier registrations to the first of them when it makes emails unique (migration 5)', async () => {
    const db = await use();
    await migrate(db, MIGRATIONS.filter((m) => m.version < 5));
    const insert = (id: string, email: string | null, at: string) =>
      db.query(`INSERT INTO users (id, username, email, password_hash, api_key_hash, created_at) VALUES ($1, $1, $2, 'p', $1, $3)`, [id, email, at]);
    await insert('first', 'Shared@example.com', '2026-01-01T00:00:00Z');
    await insert('second', 'shared@EXAMPLE.com', '2026-01-02T00:00:00Z');
    await insert('third', 'shared@example.com', '2026-01-03T00:00:00Z');
    await insert('alone', 'alone@example.com', '2026-01-04T00:00:00Z');
    await insert('none', null, '2026-01-05T00:00:00Z');
    expect(await migrate(db)).toEqual(MIGRATIONS.filter((m) => m.version >= 5).map((m) => m.version));
    expect(await db.query('SELECT id, email FROM users ORDER BY created_at')).toEqual([
      { id: 'first', email: 'Shared@example.com' },
      { id: 'second', email: null },
      { id: 'third', email: null },
      { id: 'alone', email: 'alone@example.com' },
      { id: 'none', email: null },
    ]);
  });

  it('still lands in its schema when the URL sets options of its own', async () => {
    const schema = freshSchema();
    const url = new URL(DATABASE_URL);
    url.searchParams.set('options', '-c statement_timeout=4321');
    const db = await use(schema, url.toString());
    expect(await db.query('SELECT current_schema() AS s, current_setting($1) AS t', ['statement_timeout'])).toEqual([{ s: schema, t: '4321ms' }]);
  });

  it('answers busy at once while another process holds the outbox, and takes over a lease its holder let lapse', async () => {
    const schema = freshSchema();
    const [a, b] = [await use(schema), await use(schema)];
    await migrate(a);
    await a.query(`INSERT INTO outbox (topic, payload) VALUES ('t', '{}')`);
    const published: unknown[] = [];
    // Another process is draining (its lease is live), as a crashed one would have left it.
    await b.query(`UPDATE outbox_lease SET holder = 'another process', until = now() + interval '1 minute'`);
    expect(await new SqlOutboxStore(a).take(10, async (row) => void published.push(row))).toEqual({ published: 0, busy: true });
    expect(published).toEqual([]);
    await b.query(`UPDATE outbox_lease SET until = now() - interval '1 second'`);
    expect(await new SqlOutboxStore(a).take(10, async (row) => void published.push(row))).toMatchObject({ published: 1, busy: false });
    expect(await a.query('SELECT holder FROM outbox_lease')).toEqual([{ holder: null }]);
  });

  it('fails to open with a clear message, quickly, when the server is unreachable', async () => {
    const started = Date.now();
    await expect(PostgresDatabase.open('postgresql://someone:s3cret@127.0.0.1:1/nowhere', { connectTimeoutMs: 2000 })).rejects.toThrow(
      /^PostgreSQL not reachable at postgresql:\/\/someone:\*\*\*@127\.0\.0\.1:1\/nowhere: /,
    );
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('refuses a schema name that is not a plain identifier', () => {
    expect(() => new PostgresDatabase(DATABASE_URL, { schema: 'x"; DROP TABLE users; --' })).toThrow(/invalid schema name/);
  });
});
