import type { Presence, PresenceMember } from '../presence';
import { sleep } from '@switchboard/testing';

/** Presence views of one cluster (one per node), and how to take it down. */
export interface PresenceCluster {
  nodes: Presence[];
  close(): Promise<void>;
}

const member = (node: string, n: number, user = `u${n}`): PresenceMember => ({
  clientId: `${node}:${n}`,
  userId: user,
  username: `name-${user}`,
  nodeId: node,
});

/**
 * The Presence contract, run word for word against every implementation.
 * `makeCluster(n, ttlMs)` returns n views of one fresh presence store with that TTL.
 */
export function presenceContract(name: string, makeCluster: (n: number, ttlMs: number) => Promise<PresenceCluster>): void {
  describe(`Presence contract: ${name}`, () => {
    let cluster: PresenceCluster;
    afterEach(async () => {
      await cluster?.close();
    });

    it('shows a member added on one node to every node, with the room size', async () => {
      cluster = await makeCluster(2, 10_000);
      const [a, b] = cluster.nodes;
      expect(await a.add('lobby', member('A', 1))).toBe(1);
      expect(await b.add('lobby', member('B', 2))).toBe(2);
      expect(await a.add('lobby', member('A', 1))).toBe(2);
      const seen = (await b.members('lobby')).map((m) => m.clientId).sort();
      expect(seen).toEqual(['A:1', 'B:2']);
      expect(await a.count('lobby')).toBe(2);
      expect(await a.members('lobby')).toContainEqual(member('A', 1));
    });

    it('removes a member once, and drops empty rooms', async () => {
      cluster = await makeCluster(2, 10_000);
      const [a, b] = cluster.nodes;
      await a.add('r1', member('A', 1));
      await a.add('r2', member('A', 1));
      await b.add('r2', member('B', 1));
      expect(await b.rooms()).toEqual({ r1: 1, r2: 2 });
      expect(await b.remove('r1', 'A:1')).toBe(true);
      expect(await a.remove('r1', 'A:1')).toBe(false);
      expect(await a.rooms()).toEqual({ r2: 2 });
      expect(await a.members('r1')).toEqual([]);
    });

    it('counts connections per live node', async () => {
      cluster = await makeCluster(2, 10_000);
      const [a, b] = cluster.nodes;
      await a.setConnections('A', 3);
      await b.setConnections('B', 5);
      expect(await a.nodes()).toEqual({ A: 3, B: 5 });
    });

    it('expires a node that stops refreshing, and hands each expired entry to exactly one caller', async () => {
      cluster = await makeCluster(3, 400);
      const [a, b, c] = cluster.nodes;
      await a.add('room', member('A', 1, 'alice'));
      await a.add('other', member('A', 1, 'alice'));
      await b.add('room', member('B', 1, 'bob'));
      await a.setConnections('A', 1);
      await b.setConnections('B', 1);
      // B keeps refreshing; A has died.
      for (let i = 0; i < 6; i++) {
        await sleep(150);
        await b.refresh('B');
      }
      expect((await c.members('room')).map((m) => m.userId)).toEqual(['bob']);
      expect(await c.nodes()).toEqual({ B: 1 });
      const [fromB, fromC] = await Promise.all([b.expire(), c.expire()]);
      const all = [...fromB, ...fromC].map((e) => `${e.room}/${e.member.clientId}`).sort();
      expect(all).toEqual(['other/A:1', 'room/A:1']);
      expect(await b.expire()).toEqual([]);
      expect(await c.rooms()).toEqual({ room: 1 });
    });

    it('counts a user\'s connections on every node against one cap, atomically, and forgets those of a dead node', async () => {
      cluster = await makeCluster(2, 400);
      const [a, b] = cluster.nodes;
      const tries = await Promise.all([...Array(6).keys()].map((i) => (i % 2 ? a : b).addUserConnection('alice', `c${i}`, i % 2 ? 'A' : 'B', 3)));
      expect(tries.filter(Boolean)).toHaveLength(3);
      expect(await a.addUserConnection('bob', 'c9', 'A', 3)).toBe(true);
      const held = tries.flatMap((ok, i) => (ok ? [`c${i}`] : []));
      await b.removeUserConnection('alice', held[0]);
      expect(await a.addUserConnection('alice', 'c10', 'A', 3)).toBe(true);
      expect(await b.addUserConnection('alice', 'c11', 'B', 3)).toBe(false);
      // B dies (only A refreshes): its connections stop counting.
      for (let i = 0; i < 5; i++) {
        await sleep(120);
        await a.refresh('A');
      }
      const onB = held.slice(1).filter((id) => Number(id.slice(1)) % 2 === 0).length;
      const tryAgain = await Promise.all([...Array(onB + 1).keys()].map((i) => a.addUserConnection('alice', `d${i}`, 'A', 3)));
      expect(tryAgain.filter(Boolean)).toHaveLength(onB);
    });

    it('tells a stalled node to put its user connections back when another node dropped them while counting', async () => {
      cluster = await makeCluster(2, 300);
      const [a, b] = cluster.nodes;
      expect(await a.addUserConnection('carl', 'k1', 'A', 2)).toBe(true);
      await a.markRestored('A', 0);
      expect(await a.refresh('A')).toBe(true);
      // A stalls past the TTL; B counts carl's connections before anyone expired A.
      await sleep(450);
      expect(await b.addUserConnection('carl', 'k2', 'B', 2)).toBe(true);
      // A comes back: without its entry carl would be under the cap by one, so A is told to restore.
      expect(await a.refresh('A')).toBe(false);
      await a.addUserConnection('carl', 'k1', 'A', Number.MAX_SAFE_INTEGER);
      expect(await b.addUserConnection('carl', 'k3', 'B', 2)).toBe(false);
    });

    it('keeps a refreshing node alive past the TTL', async () => {
      cluster = await makeCluster(2, 300);
      const [a, b] = cluster.nodes;
      await a.add('room', member('A', 1));
      for (let i = 0; i < 5; i++) {
        await sleep(120);
        await a.refresh('A');
      }
      expect(await b.expire()).toEqual([]);
      expect(await b.count('room')).toBe(1);
    });

    it('tells a node to put its entries back until it marks them restored, and again once they are lost', async () => {
      cluster = await makeCluster(2, 300);
      const [a, b] = cluster.nodes;
      expect(await a.refresh('A')).toBe(false);
      await a.add('room', member('A', 1));
      await a.setConnections('A', 1);
      expect(await a.refresh('A')).toBe(false);
      await a.markRestored('A', 1);
      expect(await a.refresh('A')).toBe(true);
      // A stalls past the TTL and is expired as dead: its entries are gone.
      await sleep(450);
      expect((await b.expire()).map((e) => e.member.clientId)).toEqual(['A:1']);
      await a.add('room', member('A', 1));
      expect(await a.refresh('A')).toBe(false);
      await a.markRestored('A', 1);
      await a.removeNode('A');
      expect(await a.refresh('A')).toBe(false);
    });

    it('does not mark a node restored when presence lost some of the entries it put back', async () => {
      cluster = await makeCluster(2, 10_000);
      const [a, b] = cluster.nodes;
      await a.add('x', member('A', 1));
      await a.add('y', member('A', 2));
      // One entry is gone again before A marks the restore done (as after an empty restart of Redis).
      expect(await b.remove('y', 'A:2')).toBe(true);
      await a.markRestored('A', 2);
      expect(await a.refresh('A')).toBe(false);
      // The next round puts both back and is believed.
      await a.add('x', member('A', 1));
      await a.add('y', member('A', 2));
      await a.markRestored('A', 2);
      expect(await a.refresh('A')).toBe(true);
    });

    it('removes every entry of a node at once on removeNode', async () => {
      cluster = await makeCluster(2, 10_000);
      const [a, b] = cluster.nodes;
      await a.add('x', member('A', 1));
      await a.add('y', member('A', 2));
      await b.add('y', member('B', 1));
      await a.setConnections('A', 2);
      await a.removeNode('A');
      expect(await b.rooms()).toEqual({ y: 1 });
      expect(Object.keys(await b.nodes())).not.toContain('A');
    });

    it('adds to an empty room only, with onlyNew, in the same step as the check', async () => {
      cluster = await makeCluster(2, 10_000);
      const [a, b] = cluster.nodes;
      const [first, second] = await Promise.all([a.add('fresh', member('A', 1), { onlyNew: true }), b.add('fresh', member('B', 1), { onlyNew: true })]);
      expect([first, second].sort()).toEqual([0, 1]);
      expect(await a.count('fresh')).toBe(1);
    });

    it('registers a peer id once', async () => {
      cluster = await makeCluster(2, 10_000);
      const [a, b] = cluster.nodes;
      expect(await a.claimPeer('p1', { nodeId: 'A', userId: 'u1', windowMs: 1000 })).toBe(true);
      expect(await b.claimPeer('p1', { nodeId: 'B', userId: 'u2', windowMs: 1000 })).toBe(false);
      expect(await b.peerState('p1')).toBe('connected');
      await a.releasePeer('p1');
      expect(await b.peerState('p1')).toBeUndefined();
      expect(await b.claimPeer('p1', { nodeId: 'B', userId: 'u2', windowMs: 1000 })).toBe(true);
    });

    it('keeps a detached peer in its rooms for its window, lets only its user resume it elsewhere, and hands it out once after', async () => {
      cluster = await makeCluster(3, 10_000);
      const [a, b, c] = cluster.nodes;
      await a.claimPeer('A:1', { nodeId: 'A', userId: 'u1', windowMs: 400 });
      await a.add('r', member('A', 1));
      await b.add('r', member('B', 1));
      await a.setConnections('A', 1);
      expect(await a.detachPeer('A:1', 'A', ['r'])).toBe(true);
      expect(await c.peerState('A:1')).toBe('away');
      expect((await c.members('r')).map((m) => m.clientId).sort()).toEqual(['A:1', 'B:1']);
      expect(Object.keys(await c.nodes()).sort()).toEqual(['A', 'B']);
      expect(await c.expire()).toEqual([]);
      expect(await b.resumePeer('A:1', 'B', 'someone else')).toBeUndefined();
      expect(await b.resumePeer('A:1', 'B', 'u1')).toEqual({ rooms: ['r'] });
      expect(await c.peerState('A:1')).toBe('connected');
      expect((await c.members('r')).find((m) => m.clientId === 'A:1')?.nodeId).toBe('B');
      // A sees its old connection close only now: the peer stays B's.
      expect(await a.detachPeer('A:1', 'A', ['r'])).toBe(true);
      expect(await c.peerState('A:1')).toBe('connected');
      expect((await c.members('r')).find((m) => m.clientId === 'A:1')?.nodeId).toBe('B');

      // Away again, and the window passes: one caller gets the entry, and the id is free.
      expect(await b.detachPeer('A:1', 'B', ['r'])).toBe(true);
      await sleep(500);
      expect((await c.members('r')).map((m) => m.clientId)).toEqual(['B:1']);
      expect(await c.peerState('A:1')).toBeUndefined();
      expect(await a.resumePeer('A:1', 'A', 'u1')).toBeUndefined();
      const [fromA, fromC] = await Promise.all([a.expire(), c.expire()]);
      expect([...fromA, ...fromC].map((e) => `${e.room}/${e.member.clientId}`)).toEqual(['r/A:1']);
      expect(await c.expire()).toEqual([]);
      expect(await c.claimPeer('A:1', { nodeId: 'C', userId: 'u3', windowMs: 1 })).toBe(true);
    });

    it('keeps the registered peers of a dead node for their window from its last refresh, then expires them', async () => {
      cluster = await makeCluster(2, 300);
      const [a, b] = cluster.nodes;
      await a.claimPeer('A:1', { nodeId: 'A', userId: 'u1', windowMs: 1200 });
      await a.claimPeer('A:2', { nodeId: 'A', userId: 'u2', windowMs: 1200 });
      await a.add('r', member('A', 1));
      await a.add('r', member('A', 2));
      await a.add('chat', member('A', 3));
      // A dies; B refreshes past A's TTL and expires it: only A's plain entry leaves.
      for (let i = 0; i < 4; i++) {
        await sleep(120);
        await b.refresh('B');
      }
      expect((await b.expire()).map((e) => `${e.room}/${e.member.clientId}`)).toEqual(['chat/A:3']);
      expect((await b.members('r')).map((m) => m.clientId).sort()).toEqual(['A:1', 'A:2']);
      expect(await b.peerState('A:1')).toBe('away');
      // One resumes on B; the other does not come back within its window.
      expect(await b.resumePeer('A:1', 'B', 'u1')).toEqual({ rooms: ['r'] });
      let expired: string[] = [];
      for (let i = 0; i < 12 && expired.length === 0; i++) {
        await sleep(120);
        await b.refresh('B');
        expired = (await b.expire()).map((e) => `${e.room}/${e.member.clientId}`);
      }
      expect(expired).toEqual(['r/A:2']);
      expect((await b.members('r')).map((m) => m.clientId)).toEqual(['A:1']);
    });

    it('moves a peer off a live node that still holds it, and says which node that was', async () => {
      cluster = await makeCluster(2, 10_000);
      const [a, b] = cluster.nodes;
      await a.claimPeer('A:1', { nodeId: 'A', userId: 'u1', windowMs: 1000 });
      await a.add('r', member('A', 1));
      await a.add('r', member('A', 2));
      expect(await b.resumePeer('A:1', 'B', 'u1')).toEqual({ rooms: ['r'], fromNode: 'A' });
      // A's removal no longer touches it; its other entry goes.
      await a.removeNode('A');
      expect((await b.members('r')).map((m) => `${m.clientId}@${m.nodeId}`)).toEqual(['A:1@B']);
    });

    it('hands out node numbers no other node got, each a positive safe integer', async () => {
      cluster = await makeCluster(2, 10_000);
      const [a, b] = cluster.nodes;
      const numbers = await Promise.all([a, b, a, b, a, b].map((p) => p.allocateNodeNumber()));
      expect(new Set(numbers).size).toBe(numbers.length);
      for (const n of numbers) expect(Number.isSafeInteger(n) && n > 0).toBe(true);
      const later = await b.allocateNodeNumber();
      expect(later).toBeGreaterThan(Math.max(...numbers));
      // Never below the clock in seconds: numbers keep growing even if the store forgot them.
      expect(later).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) - 5);
    });
  });
}
