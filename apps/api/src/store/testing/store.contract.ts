import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { migrate, MIGRATIONS } from '../migrations';
import { SqlMessageStore } from '../sql.message.store';
import { SqlOutboxStore } from '../sql.outbox.store';
import { SqlUserStore } from '../sql.user.store';
import type { StoreFixture, TestDatabase } from './fixture';
import { messageStoreCases } from './message-store.cases';
import { outboxCases } from './outbox.cases';
import { userStoreCases } from './user-store.cases';

export type { TestDatabase } from './fixture';

/**
 * The store contract: every Database driver runs these tests word for word.
 * `makeDb()` opens a fresh, empty database; the suite migrates it and empties its tables
 * before each test. Every wait in it is bounded.
 */
export function storeContract(name: string, makeDb: () => Promise<TestDatabase>): void {
  describe(`Store contract: ${name}`, () => {
    let t: TestDatabase | undefined;
    let fx: StoreFixture;

    beforeAll(async () => {
      t = await makeDb();
      const second = t.openSecond ? await t.openSecond() : t.db;
      await migrate(t.db);
      fx = {
        db: t.db,
        second,
        users: new SqlUserStore(t.db),
        messages: new SqlMessageStore(t.db),
        outbox: new SqlOutboxStore(t.db),
      };
    }, 120_000);

    afterAll(async () => {
      if (fx && fx.second !== fx.db) await fx.second.close();
      await t?.close();
    }, 30_000);

    beforeEach(async () => {
      await fx.db.query('TRUNCATE users, messages, outbox RESTART IDENTITY');
    });

    describe('Database', () => {
      it('commits what a transaction wrote when its callback resolves', async () => {
        const n = await fx.db.transaction(async (tx) => {
          await tx.query(`INSERT INTO outbox (topic, payload) VALUES ('t', '1')`);
          return (await tx.query<{ n: number }>('SELECT count(*) AS n FROM outbox'))[0].n;
        });
        expect(n).toBe(1);
        expect(await fx.db.query('SELECT count(*) AS n FROM outbox')).toEqual([{ n: 1 }]);
      });

      it('rolls a transaction back when its callback throws, and rejects with that error', async () => {
        const boom = new Error('boom');
        await expect(
          fx.db.transaction(async (tx) => {
            await tx.query(`INSERT INTO outbox (topic, payload) VALUES ('t', '1')`);
            throw boom;
          }),
        ).rejects.toBe(boom);
        expect(await fx.db.query('SELECT count(*) AS n FROM outbox')).toEqual([{ n: 0 }]);
      });

      it('accepts queries issued together inside one transaction', async () => {
        await fx.db.transaction((tx) =>
          Promise.all(Array.from({ length: 5 }, (_, i) => tx.query('INSERT INTO outbox (topic, payload) VALUES ($1, $2::jsonb)', [`t${i}`, '{}']))),
        );
        expect(await fx.db.query('SELECT count(*) AS n FROM outbox')).toEqual([{ n: 5 }]);
      });

      it('refuses the Database itself inside a transaction callback instead of hanging', async () => {
        await expect(fx.db.transaction(() => fx.db.query('SELECT 1'))).rejects.toThrow(/use the tx argument/);
        await expect(fx.db.transaction(() => fx.db.transaction(async () => 1))).rejects.toThrow(/use the tx argument/);
        // Still usable afterwards.
        expect(await fx.db.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
      });

      it('runs concurrent transactions without mixing them up', async () => {
        await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            fx.db.transaction(async (tx) => {
              await tx.query('INSERT INTO outbox (topic, payload) VALUES ($1, $2::jsonb)', [`t${i}`, JSON.stringify(i)]);
              if (i % 2) throw new Error('odd');
            }).catch(() => undefined),
          ),
        );
        const rows = await fx.db.query<{ topic: string }>('SELECT topic FROM outbox ORDER BY topic');
        expect(rows.map((r) => r.topic).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `t${i * 2}`).sort());
      });
    });

    describe('migrations', () => {
      it('applies nothing when run again and keeps the data', async () => {
        await fx.users.create({ username: 'keep', passwordHash: 'p', apiKeyHash: 'k' });
        expect(await migrate(fx.db)).toEqual([]);
        expect(await migrate(fx.second)).toEqual([]);
        expect(await fx.users.findByUsername('keep')).toBeDefined();
        const versions = await fx.db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
        expect(versions.map((v) => v.version)).toEqual(MIGRATIONS.map((m) => m.version));
      });

      it('lets two processes migrate at once: one applies, the other finds it done', async () => {
        const probe = { version: 900_000 + Math.floor(Math.random() * 1000), name: 'contract probe', statements: ['CREATE TABLE contract_probe (id int)'] };
        const list = [...MIGRATIONS, probe];
        try {
          const results = await Promise.all([migrate(fx.db, list), migrate(fx.second, list)]);
          expect(results.map((r) => r.length).sort()).toEqual([0, 1]);
          expect(results.flat()).toEqual([probe.version]);
        } finally {
          await fx.db.query('DROP TABLE IF EXISTS contract_probe');
          await fx.db.query('DELETE FROM schema_migrations WHERE version = $1', [probe.version]);
        }
      });
    });

    userStoreCases(() => fx);
    messageStoreCases(() => fx);
    outboxCases(() => fx);
  });
}
