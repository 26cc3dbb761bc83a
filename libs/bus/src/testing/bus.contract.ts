import { type HubEvent, type StreamPosition, Topics } from '@switchboard/protocol';
import type { Bus, HistoryOptions } from '../bus';

/** A cluster of bus nodes for one test, and how to take it down. */
export interface BusCluster {
  nodes: Bus[];
  close(): Promise<void>;
  /** Loses every room's history, as a store restarted empty does. */
  loseHistory(): Promise<void>;
}

/** Starts `n` nodes on one broker or store, keeping `history` (default: off). */
export type MakeCluster = (n: number, history?: HistoryOptions) => Promise<BusCluster>;

/** Collects what a node's handler receives. */
class Inbox {
  readonly got: Array<{ topic: string; event: HubEvent }> = [];
  private waiters: Array<() => void> = [];

  constructor(bus: Bus) {
    bus.setHandler((topic, event) => {
      this.got.push({ topic, event });
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** Resolves when `n` events have arrived, or rejects after `ms`. */
  async until(n: number, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.got.length < n) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected ${n} events, got ${this.got.length}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
}

const quiet = (ms: number) => new Promise((r) => setTimeout(r, ms));

const msg = (room: string, content: string): HubEvent => ({
  kind: 'message',
  room,
  from: { id: 'u1', name: 'alice' },
  content,
  ts: Date.now(),
});

/**
 * The Bus contract: every implementation runs these tests word for word.
 * `makeCluster(n)` starts n nodes on one fresh bus.
 */
export function busContract(name: string, makeCluster: MakeCluster): void {
  describe(`Bus contract: ${name}`, () => {
    let cluster: BusCluster;
    afterEach(async () => {
      await cluster?.close();
    });

    it('gives every node its own random id', async () => {
      cluster = await makeCluster(3);
      const ids = new Set(cluster.nodes.map((n) => n.nodeId));
      expect(ids.size).toBe(3);
    });

    it('delivers an event once to every subscribed node, the publisher included, and to no other', async () => {
      cluster = await makeCluster(3);
      const [a, b, c] = cluster.nodes;
      const [ia, ib, ic] = [new Inbox(a), new Inbox(b), new Inbox(c)];
      await a.subscribe(['t:room:x']);
      await b.subscribe(['t:room:x']);
      await c.subscribe(['t:room:y']);
      const receivers = await a.publish('t:room:x', msg('x', 'hello'));
      expect(receivers).toBe(2);
      await ia.until(1);
      await ib.until(1);
      await quiet(100);
      expect(ia.got).toEqual([{ topic: 't:room:x', event: expect.objectContaining({ kind: 'message', content: 'hello' }) }]);
      expect(ib.got).toHaveLength(1);
      expect(ic.got).toHaveLength(0);
    });

    it('returns 0 receivers and delivers nothing when nobody is subscribed', async () => {
      cluster = await makeCluster(2);
      const [a, b] = cluster.nodes;
      const ib = new Inbox(b);
      await b.subscribe(['t:other']);
      expect(await a.publish('t:nobody', msg('n', 'x'))).toBe(0);
      await quiet(100);
      expect(ib.got).toHaveLength(0);
    });

    it('delivers an event published right after subscribe resolves (subscriptions are live)', async () => {
      cluster = await makeCluster(2);
      const [a, b] = cluster.nodes;
      const ib = new Inbox(b);
      for (let i = 0; i < 20; i++) {
        await b.subscribe([`t:live:${i}`]);
        await a.publish(`t:live:${i}`, msg(`live${i}`, String(i)));
      }
      await ib.until(20);
      expect(ib.got.map((g) => g.topic)).toEqual(Array.from({ length: 20 }, (_, i) => `t:live:${i}`));
    });

    it('keeps publish order per publisher and topic', async () => {
      cluster = await makeCluster(2);
      const [a, b] = cluster.nodes;
      const ib = new Inbox(b);
      await b.subscribe(['t:order']);
      const sends: Array<Promise<number>> = [];
      for (let i = 0; i < 500; i++) sends.push(a.publish('t:order', msg('order', String(i))));
      await Promise.all(sends);
      await ib.until(500);
      expect(ib.got.map((g) => (g.event as { content: string }).content)).toEqual(Array.from({ length: 500 }, (_, i) => String(i)));
    });

    it('treats a second subscribe to a held topic as a no-op (still one delivery)', async () => {
      cluster = await makeCluster(2);
      const [a, b] = cluster.nodes;
      const ib = new Inbox(b);
      await b.subscribe(['t:dup']);
      await b.subscribe(['t:dup', 't:dup']);
      await a.publish('t:dup', msg('dup', 'once'));
      await ib.until(1);
      await quiet(100);
      expect(ib.got).toHaveLength(1);
      expect([...b.topics()]).toEqual(['t:dup']);
    });

    it('stops delivering after unsubscribe', async () => {
      cluster = await makeCluster(2);
      const [a, b] = cluster.nodes;
      const ib = new Inbox(b);
      await b.subscribe(['t:gone', 't:kept']);
      await b.unsubscribe(['t:gone', 't:never-held']);
      expect(await a.publish('t:gone', msg('gone', 'x'))).toBe(0);
      await a.publish('t:kept', msg('kept', 'y'));
      await ib.until(1);
      await quiet(100);
      expect(ib.got.map((g) => g.topic)).toEqual(['t:kept']);
      expect([...b.topics()]).toEqual(['t:kept']);
    });

    it('subscribes many topics in one call', async () => {
      cluster = await makeCluster(2);
      const [a, b] = cluster.nodes;
      const ib = new Inbox(b);
      const topics = Array.from({ length: 300 }, (_, i) => `t:many:${i}`);
      await b.subscribe(topics);
      expect(b.topics().size).toBe(300);
      await Promise.all(topics.map((t) => a.publish(t, msg(t, t))));
      await ib.until(300);
      expect(new Set(ib.got.map((g) => g.topic)).size).toBe(300);
    });

    it('never calls the handler inside publish', async () => {
      cluster = await makeCluster(1);
      const [a] = cluster.nodes;
      let inPublish = false;
      let calledInside = false;
      a.setHandler(() => {
        if (inPublish) calledInside = true;
      });
      await a.subscribe(['t:sync']);
      inPublish = true;
      const p = a.publish('t:sync', msg('sync', 'x'));
      inPublish = false;
      await p;
      await quiet(50);
      expect(calledInside).toBe(false);
    });

    it('is ready once started, and carries every kind of event intact', async () => {
      cluster = await makeCluster(2);
      const [a, b] = cluster.nodes;
      expect(a.isReady()).toBe(true);
      const ib = new Inbox(b);
      await b.subscribe(['t:kinds']);
      const events: HubEvent[] = [
        msg('r', 'hi'),
        { kind: 'join', room: 'r', from: { id: 'u2', name: 'bob' }, ts: 1 },
        { kind: 'notification', data: { nested: [1, 'two', null] }, ts: 2 },
        { kind: 'private_message', to: 'u3', content: 'psst', ts: 3 },
        { kind: 'new_message', room: 'r', data: { id: 'm1', content: 'stored' }, ts: 4 },
      ];
      for (const e of events) await a.publish('t:kinds', e);
      await ib.until(events.length);
      expect(ib.got.map((g) => g.event)).toEqual(events);
    });
  
    describe('history', () => {
      const history: HistoryOptions = { size: 5, ttlMs: 60_000 };
      const content = (e: HubEvent): string => (e as { content: string }).content;
      const position = (e: HubEvent): StreamPosition => {
        const { offset, epoch } = e as { offset?: number; epoch?: string };
        return { offset: offset as number, epoch: epoch as string };
      };

      it('numbers kept room publications +1 per room under one epoch; notices and other topics carry none', async () => {
        cluster = await makeCluster(2, history);
        const [a, b] = cluster.nodes;
        const ib = new Inbox(b);
        const [r1, r2] = [Topics.room('h-one'), Topics.room('h-two')];
        await b.subscribe([r1, r2, 't:plain']);
        await a.publish(r1, msg('h-one', 'a'));
        await a.publish(r1, { kind: 'join', room: 'h-one', from: { id: 'u2', name: 'bob' }, ts: 1 });
        await a.publish(r2, msg('h-two', 'x'));
        await a.publish(r1, { kind: 'new_message', room: 'h-one', data: { id: 'm1' }, ts: 2 });
        await a.publish(r1, { kind: 'room_message', room: 'h-one', data: 'hi all', ts: 3 });
        await a.publish('t:plain', msg('plain', 'p'));
        await ib.until(6);
        const got = ib.got.map((g) => [g.topic, g.event.kind, (g.event as { offset?: number }).offset]);
        expect(got).toEqual([
          [r1, 'message', 1],
          [r1, 'join', undefined],
          [r2, 'message', 1],
          [r1, 'new_message', 2],
          [r1, 'room_message', 3],
          ['t:plain', 'message', undefined],
        ]);
        const epochs = ib.got.filter((g) => g.topic === r1 && g.event.kind !== 'join').map((g) => position(g.event).epoch);
        expect(new Set(epochs).size).toBe(1);
        expect(typeof epochs[0]).toBe('string');
        expect(epochs[0].length).toBeGreaterThan(0);
      });

      it('reads the current position, and everything after `since` in order', async () => {
        cluster = await makeCluster(1, history);
        const [a] = cluster.nodes;
        const room = Topics.room('h-read');
        const fresh = await a.history(room);
        expect(fresh).toEqual({ position: { offset: 0, epoch: expect.any(String) }, recovered: false, events: [] });
        for (let i = 1; i <= 4; i++) await a.publish(room, msg('h-read', `m${i}`));
        const now = await a.history(room);
        expect(now?.position).toEqual({ offset: 4, epoch: expect.any(String) });
        // The position a joiner got while the room was empty resumes into all that followed.
        const fromEmpty = await a.history(room, fresh!.position);
        expect(fromEmpty?.recovered).toBe(true);
        expect(fromEmpty?.events.map(content)).toEqual(['m1', 'm2', 'm3', 'm4']);
        expect(fromEmpty?.events.map(position)).toEqual([1, 2, 3, 4].map((offset) => ({ offset, epoch: now!.position.epoch })));
        const read = await a.history(room, { offset: 1, epoch: now!.position.epoch });
        expect(read?.recovered).toBe(true);
        expect(read?.events.map(content)).toEqual(['m2', 'm3', 'm4']);
        expect(read?.events.map((e) => position(e).offset)).toEqual([2, 3, 4]);
        expect(read?.events[0]).toEqual(expect.objectContaining({ kind: 'message', room: 'h-read', from: { id: 'u1', name: 'alice' } }));
        const none = await a.history(room, { offset: 4, epoch: now!.position.epoch });
        expect(none).toEqual({ position: now?.position, recovered: true, events: [] });
        const zero = await a.history(room, { offset: 0, epoch: now!.position.epoch });
        expect(zero?.events.map(content)).toEqual(['m1', 'm2', 'm3', 'm4']);
      });

      it('cannot recover past the window, from another epoch, or from beyond the current offset', async () => {
        cluster = await makeCluster(1, history);
        const [a] = cluster.nodes;
        const room = Topics.room('h-window');
        for (let i = 1; i <= 8; i++) await a.publish(room, msg('h-window', `m${i}`));
        const { position } = (await a.history(room))!;
        expect(position.offset).toBe(8);
        const edge = await a.history(room, { offset: 3, epoch: position.epoch });
        expect(edge?.events.map(content)).toEqual(['m4', 'm5', 'm6', 'm7', 'm8']);
        for (const since of [
          { offset: 2, epoch: position.epoch },
          { offset: 5, epoch: `${position.epoch}x` },
          { offset: 9, epoch: position.epoch },
        ]) {
          expect(await a.history(room, since)).toEqual({ position, recovered: false, events: [] });
        }
      });

      it('starts a new epoch when the history is lost, and offsets start again', async () => {
        cluster = await makeCluster(1, history);
        const [a] = cluster.nodes;
        const room = Topics.room('h-lost');
        await a.publish(room, msg('h-lost', 'before'));
        const before = (await a.history(room))!.position;
        await cluster.loseHistory();
        const after = (await a.history(room, before))!;
        expect(after.recovered).toBe(false);
        expect(after.position.epoch).not.toBe(before.epoch);
        expect(after.position.offset).toBe(0);
        await a.publish(room, msg('h-lost', 'after'));
        const current = (await a.history(room))!.position.epoch;
        expect(current).not.toBe(before.epoch);
        expect((await a.history(room, after.position))?.events.map((e) => [content(e), position(e)])).toEqual([['after', { offset: 1, epoch: current }]]);
      });

      it('loses a room history once it saw no publication for its ttl', async () => {
        cluster = await makeCluster(1, { size: 5, ttlMs: 300 });
        const [a] = cluster.nodes;
        const room = Topics.room('h-ttl');
        await a.publish(room, msg('h-ttl', 'old'));
        const before = (await a.history(room))!.position;
        await quiet(700);
        const after = (await a.history(room, before))!;
        expect(after.recovered).toBe(false);
        expect(after.position.epoch).not.toBe(before.epoch);
      });

      it('resumes a position read while the room was empty: nothing missed while it stays empty, nothing once its ttl passed', async () => {
        cluster = await makeCluster(1, { size: 5, ttlMs: 400 });
        const [a] = cluster.nodes;
        const room = Topics.room('h-empty');
        const first = (await a.history(room))!.position;
        expect(await a.history(room, first)).toEqual({ position: { offset: 0, epoch: expect.any(String) }, recovered: true, events: [] });
        await quiet(900);
        await a.publish(room, msg('h-empty', 'late'));
        // Longer ago than the ttl: a whole history could have come and gone since.
        expect(await a.history(room, first)).toMatchObject({ recovered: false, events: [] });
      });

      it('gives concurrent publishers of several nodes one gap-free sequence, delivered in offset order', async () => {
        cluster = await makeCluster(3, { size: 1000, ttlMs: 60_000 });
        const [a, b, c] = cluster.nodes;
        const ic = new Inbox(c);
        const rooms = Array.from({ length: 6 }, (_, i) => Topics.room(`h-conc-${i}`));
        await c.subscribe(rooms);
        const sends: Array<Promise<number>> = [];
        for (let i = 0; i < 50; i++) for (const [j, room] of rooms.entries()) sends.push((j % 2 ? a : b).publish(room, msg(room, `${i}`)));
        await Promise.all(sends);
        await ic.until(300);
        for (const room of rooms) {
          const offsets = ic.got.filter((g) => g.topic === room).map((g) => position(g.event).offset);
          expect(offsets).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
          const read = await c.history(room, { offset: 0, epoch: position(ic.got.find((g) => g.topic === room)!.event).epoch });
          expect(read?.events.map((e) => position(e).offset)).toEqual(offsets);
        }
      });

      it('publishes a key once within its window, whichever node is asked, and answers every call with the first position', async () => {
        cluster = await makeCluster(3, history);
        const [a, b, c] = cluster.nodes;
        const ic = new Inbox(c);
        const room = Topics.room('h-once');
        await c.subscribe([room]);
        const key = Topics.publishOnce(room, 'u:u1', 'id-1');
        const calls = await Promise.all([a, b, a, b].map((node) => node.publishOnce(room, msg('h-once', 'once'), { key, windowMs: 60_000 })));
        const other = await b.publishOnce(room, msg('h-once', 'other'), { key: Topics.publishOnce(room, 'u:u2', 'id-1'), windowMs: 60_000 });
        await ic.until(2);
        await quiet(50);
        expect(ic.got.map((g) => content(g.event))).toEqual(['once', 'other']);
        const first = position(ic.got[0].event);
        expect(calls.map((p) => p.position)).toEqual([first, first, first, first]);
        expect(calls.filter((p) => !p.repeat)).toHaveLength(1);
        expect(other).toEqual({ repeat: false, position: { offset: first.offset + 1, epoch: first.epoch } });
        expect((await c.history(room, { offset: 0, epoch: first.epoch }))?.events.map(content)).toEqual(['once', 'other']);
      });

      it('publishes a key again once its window has passed; without history it still publishes once, with no position', async () => {
        cluster = await makeCluster(2, { size: 0, ttlMs: 60_000 });
        const [a, b] = cluster.nodes;
        const ib = new Inbox(b);
        const room = Topics.room('h-once-off');
        await b.subscribe([room]);
        const once = { key: Topics.publishOnce(room, 'u:u1', 'x'), windowMs: 300 };
        expect(await a.publishOnce(room, msg('h-once-off', 'x1'), once)).toEqual({ repeat: false, position: undefined });
        expect(await b.publishOnce(room, msg('h-once-off', 'x2'), once)).toEqual({ repeat: true, position: undefined });
        await quiet(400);
        expect(await b.publishOnce(room, msg('h-once-off', 'x3'), once)).toEqual({ repeat: false, position: undefined });
        await ib.until(2);
        await quiet(50);
        expect(ib.got.map((g) => content(g.event))).toEqual(['x1', 'x3']);
        expect(ib.got[0].event).not.toHaveProperty('offset');
      });

      it('keeps nothing when the size is 0', async () => {
        cluster = await makeCluster(2, { size: 0, ttlMs: 60_000 });
        const [a, b] = cluster.nodes;
        const ib = new Inbox(b);
        const room = Topics.room('h-off');
        await b.subscribe([room]);
        await a.publish(room, msg('h-off', 'x'));
        await ib.until(1);
        expect(ib.got[0].event).not.toHaveProperty('offset');
        expect(await a.history(room)).toBeUndefined();
      });
    });
  });
}
