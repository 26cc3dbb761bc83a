import type { HubEvent } from '../../../protocol/src';
import type { Bus } from '../bus';

/** A cluster of bus nodes for one test, and how to take it down. */
export interface BusCluster {
  nodes: Bus[];
  close(): Promise<void>;
}

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
export function busContract(name: string, makeCluster: (n: number) => Promise<BusCluster>): void {
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

    it('counts the nodes listening to a topic', async () => {
      cluster = await makeCluster(3);
      const [a, b, c] = cluster.nodes;
      expect(await c.listeners('t:count')).toBe(0);
      await a.subscribe(['t:count']);
      await b.subscribe(['t:count']);
      expect(await c.listeners('t:count')).toBe(2);
      await a.unsubscribe(['t:count']);
      expect(await c.listeners('t:count')).toBe(1);
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
  });
}
