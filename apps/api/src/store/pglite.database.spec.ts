import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate } from './migrations';
import { PgliteDatabase } from './pglite.database';
import { SqlUserStore } from './sql.user.store';
import { storeContract } from './testing/store.contract';

const tempDir = () => mkdtempSync(join(tmpdir(), 'sb-store-'));

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

describe('PgliteDatabase', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the data when the same data directory is closed and opened again', async () => {
    dir = tempDir();
    const path = join(dir, 'nested', 'data');
    const first = await PgliteDatabase.open(path);
    const created = await (async () => {
      try {
        await migrate(first);
        return await new SqlUserStore(first).create({ username: 'durable', passwordHash: 'p', apiKeyHash: 'k' });
      } finally {
        await first.close();
      }
    })();
    const again = await PgliteDatabase.open(path);
    try {
      expect(await migrate(again)).toEqual([]);
      expect(await new SqlUserStore(again).findByUsername('DURABLE')).toEqual(created);
    } finally {
      await again.close();
    }
  }, 120_000);

  it('fails to open with the data directory named when it cannot be used', async () => {
    dir = tempDir();
    const file = join(dir, 'not-a-directory');
    writeFileSync(file, 'x');
    await expect(PgliteDatabase.open(file)).rejects.toThrow(`PGlite could not open ${file}`);
  }, 60_000);
});
