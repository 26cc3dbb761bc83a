import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate } from './migrations';
import { CREATION_MARKER, PgliteDatabase, SETTINGS } from './pglite.database';
import { packDataDir, TEMPLATE_FILE } from './pglite-template';
import { SqlUserStore } from './sql.user.store';
import { storeContract } from './testing/store.contract';

const tempDir = () => mkdtempSync(join(tmpdir(), 'sb-store-'));
/** The shipped template, from the repository root. */
const findTemplateForTest = () => join(__dirname, '..', '..', '..', '..', TEMPLATE_FILE);

storeContract('PGlite, data directory', async () => {
  const dir = tempDir();
  const db = await PgliteDatabase.open(join(dir, 'data'));
  return {
    db,
    close: async () => {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

storeContract('PGlite, memory://', async () => {
  const db = await PgliteDatabase.open('memory://');
  return { db, close: () => db.close() };
});

/** Opens `path`, migrates it and stores a user, closes it, opens it again and finds that user. */
async function expectDurable(path: string, username: string): Promise<void> {
  const first = await PgliteDatabase.open(path);
  const created = await (async () => {
    try {
      await migrate(first);
      return await new SqlUserStore(first).create({ username, passwordHash: 'p', apiKeyHash: 'k' });
    } finally {
      await first.close();
    }
  })();
  const again = await PgliteDatabase.open(path);
  try {
    expect(await migrate(again)).toEqual([]);
    expect(await new SqlUserStore(again).findByUsername(username.toUpperCase())).toEqual(created);
  } finally {
    await again.close();
  }
}

describe('PgliteDatabase', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the data when the same data directory is closed and opened again', async () => {
    dir = tempDir();
    await expectDurable(join(dir, 'nested', 'data'), 'durable');
  }, 120_000);

  it('creates a new database from the shipped template, which then migrates and keeps its data', async () => {
    dir = tempDir();
    const path = join(dir, 'data');
    const db = await PgliteDatabase.open(path);
    await db.close();
    expect(db.created).toBe('template');
    expect(existsSync(join(path, CREATION_MARKER))).toBe(false);
    await expectDurable(path, 'templated');
    expect((await PgliteDatabase.open(path).then(async (again) => (await again.close(), again))).created).toBeUndefined();
  }, 120_000);

  it('creates it with initdb when the template was made by another PGlite', async () => {
    dir = tempDir();
    const other = join(dir, 'other-template.br');
    mkdirSync(join(dir, 'fake'));
    writeFileSync(join(dir, 'fake', 'PG_VERSION'), '17\n');
    writeFileSync(other, packDataDir(join(dir, 'fake'), '0.0.1', SETTINGS));
    const db = await PgliteDatabase.open(join(dir, 'data'), other);
    try {
      expect(db.created).toBe('initdb');
      expect(await migrate(db)).not.toEqual([]);
    } finally {
      await db.close();
    }
  }, 120_000);

  it('creates it with initdb when the template cannot be unpacked (cut short), after removing what it wrote', async () => {
    dir = tempDir();
    const whole = readFileSync(findTemplateForTest());
    const cut = join(dir, 'cut-template.br');
    writeFileSync(cut, whole.subarray(0, whole.length >> 1));
    const path = join(dir, 'data');
    mkdirSync(join(path, 'lost+found'), { recursive: true });
    const db = await PgliteDatabase.open(path, cut);
    try {
      expect(db.created).toBe('initdb');
      expect(await migrate(db)).not.toEqual([]);
      expect(existsSync(join(path, 'lost+found'))).toBe(true);
    } finally {
      await db.close();
    }
  }, 120_000);

  it('creates the database again when an earlier creation was stopped halfway, keeping what was there before it', async () => {
    dir = tempDir();
    const path = join(dir, 'data');
    // What a process stopped during its first start leaves: the marker (listing the volume's
    // own lost+found), a PG_VERSION and some of the files initdb writes.
    mkdirSync(join(path, 'lost+found'), { recursive: true });
    writeFileSync(join(path, 'lost+found', 'kept'), 'not ours');
    writeFileSync(join(path, CREATION_MARKER), JSON.stringify(['lost+found']));
    writeFileSync(join(path, 'PG_VERSION'), '17\n');
    mkdirSync(join(path, 'pg_wal'), { recursive: true });
    writeFileSync(join(path, 'pg_wal', 'half-written'), 'half a page');
    writeFileSync(join(path, 'postgresql.conf'), '# cut off here');

    await expectDurable(path, 'after-crash');
    expect(existsSync(join(path, CREATION_MARKER))).toBe(false);
    expect(readFileSync(join(path, 'lost+found', 'kept'), 'utf8')).toBe('not ours');
    expect(existsSync(join(path, 'pg_wal', 'half-written'))).toBe(false);
  }, 120_000);

  it('never clears a data directory that has no creation marker, even one it cannot open', async () => {
    dir = tempDir();
    const path = join(dir, 'data');
    mkdirSync(path);
    writeFileSync(join(path, 'PG_VERSION'), 'not a version\n');
    writeFileSync(join(path, 'precious'), 'data');
    await expect(PgliteDatabase.open(path)).rejects.toThrow(`PGlite could not open ${path}`);
    expect(readdirSync(path)).toEqual(expect.arrayContaining(['PG_VERSION', 'precious']));
    expect(readFileSync(join(path, 'precious'), 'utf8')).toBe('data');
  }, 60_000);

  it('fails to open with the data directory named when it cannot be used', async () => {
    dir = tempDir();
    const file = join(dir, 'not-a-directory');
    writeFileSync(file, 'x');
    await expect(PgliteDatabase.open(file)).rejects.toThrow(`PGlite could not open ${file}`);
  }, 60_000);
});
