import type { Database } from './database';
import { OpeningDatabase } from './opening.database';

function fakeDatabase(log: string[]): Database {
  return {
    kind: 'pglite',
    query: async <T>(sql: string) => {
      log.push(sql);
      return [{ sql }] as T[];
    },
    transaction: async (fn) => fn({ query: async <T>(sql: string) => (log.push(`tx ${sql}`), [] as T[]) }),
    close: async () => void log.push('close'),
  };
}

describe('OpeningDatabase', () => {
  it('holds statements until the database is open, then runs them in order', async () => {
    const log: string[] = [];
    let open!: (db: Database) => void;
    const db = new OpeningDatabase('pglite', () => new Promise((r) => (open = r)));
    expect(db.state()).toBe('database still opening');
    const first = db.query('SELECT 1');
    const tx = db.transaction((t) => t.query('INSERT'));
    await new Promise((r) => setTimeout(r, 10));
    expect(log).toEqual([]);
    open(fakeDatabase(log));
    expect(await first).toEqual([{ sql: 'SELECT 1' }]);
    await tx;
    expect(log).toEqual(['SELECT 1', 'tx INSERT']);
    expect(db.state()).toBe(true);
    await db.close();
    expect(log).toContain('close');
  });

  it('fails every statement with the reason it could not open, and says so', async () => {
    const db = new OpeningDatabase('pglite', async () => {
      throw new Error('data directory is locked');
    });
    await expect(db.query('SELECT 1')).rejects.toThrow('data directory is locked');
    expect(db.state()).toBe('database failed to open: data directory is locked');
    await expect(db.close()).resolves.toBeUndefined();
  });
});
