import { describe, expect, it } from '@jest/globals';
import type { MessageRecord, NewMessage } from '../message.store';
import { newestFirst, noEvent, setCreatedAt, type StoreFixture } from './fixture';

const msg = (channelId: string, content: string, userEmail?: string): NewMessage => ({
  channelId,
  userId: 'u1',
  username: 'alice',
  content,
  ...(userEmail ? { userEmail } : {}),
});

/** MessageStore part of the store contract (events are checked in outbox.cases.ts). */
export function messageStoreCases(fixture: () => StoreFixture): void {
  describe('MessageStore', () => {
    /** Creates `n` messages in `channel`, created_at = base + at(i) seconds. */
    async function seed(channel: string, n: number, at: (i: number) => number): Promise<MessageRecord[]> {
      const { db, messages } = fixture();
      const base = Date.parse('2024-01-01T12:00:00Z');
      const out: MessageRecord[] = [];
      for (let i = 0; i < n; i++) {
        const m = await messages.create(msg(channel, `m${i}`), noEvent);
        const createdAt = new Date(base + at(i) * 1000);
        await setCreatedAt(db, m.id, createdAt);
        out.push({ ...m, createdAt });
      }
      return out;
    }

    it('stores a message and gives it back by id', async () => {
      const { messages } = fixture();
      const before = Date.now();
      const created = await messages.create(msg('general', 'hello', 'a@example.com'), noEvent);
      expect(created).toEqual({
        id: expect.any(String),
        channelId: 'general',
        userId: 'u1',
        userEmail: 'a@example.com',
        username: 'alice',
        content: 'hello',
        createdAt: expect.any(Date),
      });
      // The database's clock, so allow a little skew against ours.
      expect(Math.abs(created.createdAt.getTime() - before)).toBeLessThan(60_000);
      expect(await messages.get(created.id)).toEqual(created);
      const plain = await messages.create(msg('general', 'no email'), noEvent);
      expect(plain).not.toHaveProperty('userEmail');
      expect(plain).not.toHaveProperty('updatedAt');
      expect(await messages.get('no-such-id')).toBeUndefined();
    });

    it('updates the content and stamps updatedAt', async () => {
      const { messages } = fixture();
      const created = await messages.create(msg('general', 'helo'), noEvent);
      const updated = await messages.update(created.id, 'hello', noEvent);
      expect(updated).toEqual({ ...created, content: 'hello', updatedAt: expect.any(Date) });
      expect(updated!.updatedAt!.getTime()).toBeGreaterThanOrEqual(created.createdAt.getTime());
      expect(await messages.get(created.id)).toEqual(updated);
      expect(await messages.update('no-such-id', 'x', noEvent)).toBeUndefined();
    });

    it('deletes a message: it is gone everywhere and its content is erased', async () => {
      const { db, messages } = fixture();
      const created = await messages.create(msg('general', 'secret'), noEvent);
      const kept = await messages.create(msg('general', 'kept'), noEvent);
      expect(await messages.delete(created.id, noEvent)).toEqual(created);
      expect(await messages.get(created.id)).toBeUndefined();
      expect(await messages.history('general')).toEqual([kept]);
      expect(await messages.update(created.id, 'again', noEvent)).toBeUndefined();
      expect(await messages.delete(created.id, noEvent)).toBeUndefined();
      expect(await db.query('SELECT content FROM messages WHERE id = $1', [created.id])).toEqual([{ content: '' }]);
    });

    it("returns a channel's history newest first, and only that channel's", async () => {
      const { messages } = fixture();
      const general = await seed('general', 5, (i) => i);
      await seed('random', 3, (i) => i + 10);
      expect(await messages.history('general')).toEqual([...general].reverse());
      expect(await messages.history('random', { limit: 2 })).toEqual([expect.objectContaining({ content: 'm2' }), expect.objectContaining({ content: 'm1' })]);
      expect(await messages.history('empty')).toEqual([]);
    });

    it('pages with before + limit through equal timestamps, never skipping or repeating', async () => {
      const { messages } = fixture();
      // Groups of four share one created_at, so most page boundaries fall inside a tie.
      const all = (await seed('general', 37, (i) => Math.floor(i / 4))).sort(newestFirst);
      const pages: MessageRecord[][] = [];
      let before: string | undefined;
      for (let guard = 0; guard < 20; guard++) {
        const page = await messages.history('general', { limit: 5, before });
        if (page.length === 0) break;
        pages.push(page);
        before = page[page.length - 1].id;
      }
      expect(pages.map((p) => p.length)).toEqual([5, 5, 5, 5, 5, 5, 5, 2]);
      expect(pages.flat()).toEqual(all);
      expect(await messages.history('general', { limit: 100 })).toEqual(all);
    });

    it('keeps a deleted message usable as a cursor, and gives an empty page for an unknown one', async () => {
      const { messages } = fixture();
      const all = await seed('general', 6, (i) => i);
      await messages.delete(all[3].id, noEvent);
      expect(await messages.history('general', { before: all[3].id })).toEqual([all[2], all[1], all[0]]);
      expect(await messages.history('general', { before: all[5].id, limit: 2 })).toEqual([all[4], all[2]]);
      expect(await messages.history('general', { before: 'no-such-id' })).toEqual([]);
    });

    it('clamps the limit to 1..100 and defaults it to 50', async () => {
      const { db, messages } = fixture();
      await db.query(
        `INSERT INTO messages (id, channel_id, user_id, username, content, created_at)
         SELECT 'bulk-' || lpad(g::text, 4, '0'), 'bulk', 'u1', 'alice', 'm' || g, now() - g * interval '1 second'
         FROM generate_series(1, 120) AS g`,
      );
      const count = async (limit?: number) => (await messages.history('bulk', { limit })).length;
      expect(await count(0)).toBe(1);
      expect(await count(-5)).toBe(1);
      expect(await count(2.9)).toBe(2);
      expect(await count(1000)).toBe(100);
      expect(await count(undefined)).toBe(50);
      expect(await count(Number.NaN)).toBe(50);
      expect((await messages.history('bulk', { limit: 3 })).map((m) => m.id)).toEqual(['bulk-0001', 'bulk-0002', 'bulk-0003']);
    });
  });
}
