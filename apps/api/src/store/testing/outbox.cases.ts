import { describe, expect, it } from '@jest/globals';
import type { Database } from '../database';
import type { MessageRecord, NewMessage } from '../message.store';
import { OutboxRelay } from '../outbox-relay';
import type { OutboxRow } from '../outbox.store';
import { appendOutbox, SqlOutboxStore } from '../sql.outbox.store';
import { SqlMessageStore } from '../sql.message.store';
import { sleep, until } from '@switchboard/testing';
import type { StoreFixture } from './fixture';

const hello: NewMessage = { channelId: 'general', userId: 'u1', username: 'alice', content: 'hello' };
const event = (type: string) => (m: MessageRecord) => ({ topic: `room:${m.channelId}`, payload: { type, id: m.id, content: m.content } });
const silent = { log: () => undefined, error: () => undefined, debug: () => undefined };

async function outboxRows(db: Database): Promise<Array<{ id: number; topic: string; payload: unknown; attempts: number }>> {
  return db.query('SELECT id, topic, payload, attempts FROM outbox ORDER BY id');
}

/** Fills the outbox with `n` events spread over three topics, in one transaction. */
async function fill(db: Database, n: number): Promise<void> {
  await db.transaction((tx) => appendOutbox(tx, Array.from({ length: n }, (_, i) => ({ topic: `t${i % 3}`, payload: { seq: i + 1 } }))));
}

/** A bus stand-in that records what it was given and can be taken down. */
class FakeBus {
  readonly got: Array<{ topic: string; payload: unknown }> = [];
  down = false;
  publish = async (topic: string, payload: unknown): Promise<number> => {
    if (this.down) throw new Error('bus down');
    this.got.push({ topic, payload });
    return 1;
  };
}

/** Outbox part of the store contract: transactional events, take and the relay. */
export function outboxCases(fixture: () => StoreFixture): void {
  describe('Outbox', () => {
    it('stores each lifecycle event in the transaction of its change, built from the stored row', async () => {
      const { db, messages } = fixture();
      const created = await messages.create(hello, event('new_message'));
      await messages.update(created.id, 'edited', event('message_updated'));
      await messages.delete(created.id, event('message_deleted'));
      expect(await outboxRows(db)).toEqual([
        { id: 1, topic: 'room:general', payload: { type: 'new_message', id: created.id, content: 'hello' }, attempts: 0 },
        { id: 2, topic: 'room:general', payload: { type: 'message_updated', id: created.id, content: 'edited' }, attempts: 0 },
        { id: 3, topic: 'room:general', payload: { type: 'message_deleted', id: created.id, content: 'edited' }, attempts: 0 },
      ]);
    });

    it('stores a message and its event once per user and idempotency key, even when two processes race', async () => {
      const { db, second, messages } = fixture();
      const other = new SqlMessageStore(second);
      const keyed = { ...hello, idempotencyKey: 'k-1' };
      const [a, b] = await Promise.all([messages.createOnce(keyed, event('new_message')), other.createOnce(keyed, event('new_message'))]);
      expect(a.record).toEqual(b.record);
      expect([a.repeat, b.repeat].sort()).toEqual([false, true]);
      expect(await messages.createOnce({ ...keyed, content: 'again' }, event('new_message'))).toEqual({ record: a.record, repeat: true });
      const bobs = await messages.createOnce({ ...keyed, userId: 'u2', username: 'bob' }, event('new_message'));
      const plain = [await messages.create(hello, event('new_message')), await messages.create(hello, event('new_message'))];
      expect(new Set([a.record.id, bobs.record.id, ...plain.map((m) => m.id)]).size).toBe(4);
      expect((await outboxRows(db)).map((r) => (r.payload as { id: string }).id)).toEqual([a.record.id, bobs.record.id, ...plain.map((m) => m.id)]);
    });

    it('stores several events, or none, as the builder returns', async () => {
      const { db, messages } = fixture();
      await messages.create(hello, (m) => [
        { topic: 'a', payload: { n: 1, id: m.id } },
        { topic: 'b', payload: [1, 'two'] },
      ]);
      await messages.create(hello, () => []);
      expect((await outboxRows(db)).map((r) => [r.topic, r.payload])).toEqual([
        ['a', { n: 1, id: expect.any(String) }],
        ['b', [1, 'two']],
      ]);
    });

    it('leaves neither message nor event when the builder throws or the event cannot be stored', async () => {
      const { db, messages } = fixture();
      const boom = new Error('not the author');
      await expect(messages.create(hello, () => { throw boom; })).rejects.toBe(boom);
      await expect(messages.create(hello, () => ({ topic: null as unknown as string, payload: {} }))).rejects.toThrow();
      expect(await db.query('SELECT count(*) AS n FROM messages')).toEqual([{ n: 0 }]);
      expect(await outboxRows(db)).toEqual([]);

      const kept = await messages.create(hello, () => []);
      await expect(messages.update(kept.id, 'changed', () => { throw boom; })).rejects.toBe(boom);
      await expect(messages.delete(kept.id, () => { throw boom; })).rejects.toBe(boom);
      expect(await messages.get(kept.id)).toEqual(kept);
      expect(await outboxRows(db)).toEqual([]);
    });

    it('never calls the builder for a change that did not happen', async () => {
      const { db, messages } = fixture();
      const calls: string[] = [];
      await messages.update('no-such-id', 'x', () => (calls.push('update'), []));
      await messages.delete('no-such-id', () => (calls.push('delete'), []));
      expect(calls).toEqual([]);
      expect(await outboxRows(db)).toEqual([]);
    });

    it('take publishes the oldest rows in id order and deletes them', async () => {
      const { db, outbox } = fixture();
      await fill(db, 5);
      const seen: number[] = [];
      const first = await outbox.take(3, async (row) => void seen.push((row.payload as { seq: number }).seq));
      expect(first).toMatchObject({ published: 3, busy: false });
      expect(first.failure).toBeUndefined();
      expect(await outbox.pending()).toBe(2);
      await outbox.take(10, async (row) => void seen.push((row.payload as { seq: number }).seq));
      expect(seen).toEqual([1, 2, 3, 4, 5]);
      expect(await outbox.pending()).toBe(0);
    });

    it('take holds no transaction or lock while a publish is waiting: the store serves writes meanwhile', async () => {
      const { messages, outbox } = fixture();
      await messages.create({ ...hello, content: 'first' }, event('new_message'));
      let open!: () => void;
      const gate = new Promise<void>((resolve) => (open = resolve));
      let publishing!: () => void;
      const started = new Promise<void>((resolve) => (publishing = resolve));
      const take = outbox.take(10, async () => {
        publishing();
        await gate;
      });
      await started;
      // While the bus "answers", a message (a transaction of its own) is written at once.
      const written = await Promise.race([
        messages.create({ ...hello, content: 'meanwhile' }, event('new_message')).then(() => 'written'),
        sleep(3000).then(() => 'blocked'),
      ]);
      open();
      expect(written).toBe('written');
      expect(await take).toMatchObject({ published: 1, busy: false });
      expect(await outbox.pending()).toBe(1);
    });

    it('take stops at a failed publish, keeps that row and every later one, and counts the attempt', async () => {
      const { db, outbox } = fixture();
      await fill(db, 4);
      const offered: number[] = [];
      const failing = new Error('bus down');
      const result = await outbox.take(10, async (row) => {
        offered.push(row.id);
        if (row.id === 2) throw failing;
      });
      expect(offered).toEqual([1, 2]);
      expect(result).toMatchObject({ published: 1, busy: false, failure: { row: { id: 2, attempts: 1 }, error: failing } });
      expect((await outboxRows(db)).map((r) => [r.id, r.attempts])).toEqual([[2, 1], [3, 0], [4, 0]]);
      expect(await db.query('SELECT last_error FROM outbox WHERE id = 2')).toEqual([{ last_error: 'bus down' }]);

      const retried: OutboxRow[] = [];
      await outbox.take(10, async (row) => void retried.push(row));
      expect(retried.map((r) => [r.id, r.attempts])).toEqual([[2, 1], [3, 0], [4, 0]]);
      expect(await outbox.pending()).toBe(0);
    });

    it('relay publishes kicked events in order, soon, and deletes them', async () => {
      const { messages, outbox } = fixture();
      const bus = new FakeBus();
      const relay = new OutboxRelay(outbox, bus.publish, { intervalMs: 60_000, logger: silent });
      relay.start();
      try {
        for (const content of ['one', 'two', 'three']) {
          await messages.create({ ...hello, content }, event('new_message'));
          relay.kick();
        }
        await until('three events published', 5000, () => bus.got.length >= 3);
        expect(bus.got.map((g) => (g.payload as { content: string }).content)).toEqual(['one', 'two', 'three']);
        // A batch's rows are deleted once its publishes are accepted: just after the last one.
        await until('published rows deleted', 5000, async () => (await outbox.pending()) === 0);
        expect(await outbox.pending()).toBe(0);
      } finally {
        await relay.stop();
      }
    });

    it('relay keeps rows while publishing fails, shows it in health, and publishes them in order once the bus is back', async () => {
      const { messages, outbox } = fixture();
      const bus = new FakeBus();
      bus.down = true;
      const relay = new OutboxRelay(outbox, bus.publish, { intervalMs: 60_000, minBackoffMs: 20, maxBackoffMs: 100, logger: silent });
      relay.start();
      try {
        for (const content of ['one', 'two', 'three']) {
          await messages.create({ ...hello, content }, event('new_message'));
          relay.kick();
        }
        await until('a few failed attempts', 5000, () => relay.health().consecutiveFailures >= 3);
        expect(relay.health()).toMatchObject({ ok: false, lastError: 'bus down', failingSince: expect.any(Date) });
        expect(await outbox.pending()).toBe(3);
        bus.down = false;
        await until('the outbox drained after recovery', 5000, async () => (await outbox.pending()) === 0);
        expect(bus.got.map((g) => (g.payload as { content: string }).content)).toEqual(['one', 'two', 'three']);
        // The rows are gone once the batch commits; the relay counts the success just after.
        await until('the relay healthy again', 5000, () => relay.health().ok);
        expect(relay.health()).toEqual({ ok: true, consecutiveFailures: 0 });
      } finally {
        await relay.stop();
      }
    });

    it('relay waits for a bus that is not ready without taking rows, counting attempts or logging errors', async () => {
      const { messages, outbox } = fixture();
      const bus = new FakeBus();
      let ready = false;
      let takes = 0;
      const counted = { take: (n: number, p: (row: OutboxRow) => Promise<void>) => (takes++, outbox.take(n, p)), pending: () => outbox.pending() };
      const errors: string[] = [];
      const logger = { ...silent, error: (line: string) => void errors.push(line) };
      const relay = new OutboxRelay(counted, bus.publish, { intervalMs: 60_000, minBackoffMs: 20, logger, ready: () => ready });
      relay.start();
      try {
        for (const content of ['one', 'two', 'three']) {
          await messages.create({ ...hello, content }, event('new_message'));
          relay.kick();
        }
        await sleep(300);
        expect(takes).toBe(0);
        expect(relay.health()).toEqual({ ok: true, waiting: true, consecutiveFailures: 0 });
        expect(await outbox.pending()).toBe(3);
        ready = true;
        await until('the outbox drained once the bus was ready', 5000, async () => (await outbox.pending()) === 0);
        expect(bus.got.map((g) => (g.payload as { content: string }).content)).toEqual(['one', 'two', 'three']);
        expect(relay.health()).toEqual({ ok: true, consecutiveFailures: 0 });
        expect(errors).toEqual([]);
      } finally {
        await relay.stop();
      }
    });

    it('relay takes a publish that failed because the bus just went down for waiting, not failing', async () => {
      const { messages, outbox } = fixture();
      const bus = new FakeBus();
      let ready = true;
      const errors: string[] = [];
      const logger = { ...silent, error: (line: string) => void errors.push(line) };
      // The bus notices it is down only as the publish fails (the connection just dropped).
      const publish = async (topic: string, payload: unknown) => {
        if (bus.down) {
          ready = false;
          throw new Error("Stream isn't writeable");
        }
        return bus.publish(topic, payload as never);
      };
      const relay = new OutboxRelay(outbox, publish, { intervalMs: 60_000, minBackoffMs: 20, logger, ready: () => ready });
      bus.down = true;
      relay.start();
      try {
        await messages.create({ ...hello, content: 'during the drop' }, event('new_message'));
        relay.kick();
        await until('the relay to notice the bus is down', 5000, () => relay.health().waiting === true);
        expect(relay.health()).toMatchObject({ ok: true, consecutiveFailures: 0 });
        expect(await outbox.pending()).toBe(1);
        bus.down = false;
        ready = true;
        relay.kick();
        await until('the outbox drained once the bus was back', 5000, async () => (await outbox.pending()) === 0);
        expect(errors).toEqual([]);
      } finally {
        await relay.stop();
      }
    });

    it('relay deletes nothing whose publish never resolved', async () => {
      const { messages, outbox } = fixture();
      let hang = true;
      const got: unknown[] = [];
      const publish = (_topic: string, payload: unknown) => (hang ? new Promise<never>(() => undefined) : Promise.resolve(void got.push(payload)));
      const relay = new OutboxRelay(outbox, publish, { intervalMs: 60_000, publishTimeoutMs: 100, minBackoffMs: 20, maxBackoffMs: 50, logger: silent });
      relay.start();
      try {
        await messages.create(hello, event('new_message'));
        relay.kick();
        await until('the hung publish timed out', 5000, () => relay.health().consecutiveFailures >= 1);
        expect(relay.health().lastError).toMatch(/timed out/);
        expect(await outbox.pending()).toBe(1);
        hang = false;
        await until('published after the bus answered again', 5000, () => got.length === 1);
        await until('row deleted', 5000, async () => (await outbox.pending()) === 0);
      } finally {
        await relay.stop();
      }
    });

    it('relay does nothing after stop', async () => {
      const { messages, outbox } = fixture();
      const bus = new FakeBus();
      const relay = new OutboxRelay(outbox, bus.publish, { intervalMs: 20, logger: silent });
      relay.start();
      await relay.stop();
      await relay.stop();
      await messages.create(hello, event('new_message'));
      relay.kick();
      await sleep(200);
      expect(bus.got).toEqual([]);
      expect(await outbox.pending()).toBe(1);
    });

    it('never publishes a row twice, nor out of order, when two processes drain at once', async () => {
      const { db, second } = fixture();
      await fill(db, 300);
      const published: Array<{ topic: string; seq: number }> = [];
      const publish = async (topic: string, payload: unknown) => {
        published.push({ topic, seq: (payload as { seq: number }).seq });
        if (Math.random() < 0.3) await sleep(1);
      };
      const relays = [new SqlOutboxStore(db), new SqlOutboxStore(second), new SqlOutboxStore(db), new SqlOutboxStore(second)].map(
        (store) => new OutboxRelay(store, publish, { intervalMs: 10, batchSize: 7, minBackoffMs: 5, logger: silent }),
      );
      relays.forEach((r) => r.start());
      try {
        await until('all 300 published', 20_000, () => published.length >= 300);
        await sleep(100);
      } finally {
        await Promise.all(relays.map((r) => r.stop()));
      }
      const seqs = published.map((p) => p.seq);
      expect(new Set(seqs).size).toBe(300);
      expect(seqs).toHaveLength(300);
      for (const topic of ['t0', 't1', 't2']) {
        const order = published.filter((p) => p.topic === topic).map((p) => p.seq);
        expect(order).toEqual([...order].sort((a, b) => a - b));
      }
      expect(await new SqlOutboxStore(db).pending()).toBe(0);
    }, 30_000);
  });
}
