import { Roster } from './roster';

const m = (clientId: string, username: string) => ({ clientId, username });

describe('Roster', () => {
  it('lists each username once, in join order, and counts distinct names', () => {
    const r = new Roster();
    r.add(m('n:1', 'alice'));
    r.add(m('n:2', 'bob'));
    r.add(m('n:3', 'alice'));
    r.add(m('n:3', 'alice')); // the same connection twice changes nothing
    expect(r.list(10)).toEqual(['alice', 'bob']);
    expect(r.size).toBe(3);
    expect(r.total).toBe(2);
    r.remove('n:1');
    expect(r.list(10)).toEqual(['alice', 'bob']);
    r.remove('n:3');
    expect(r.list(10)).toEqual(['bob']);
    r.remove('n:9'); // unknown: nothing happens
    expect(r.size).toBe(1);
  });

  it('caps the list but not the total', () => {
    const r = new Roster();
    for (let i = 0; i < 50; i++) r.add(m(`n:${i}`, `u${i}`));
    expect(r.list(5)).toEqual(['u0', 'u1', 'u2', 'u3', 'u4']);
    expect(r.total).toBe(50);
  });

  it('replays changes that crossed a snapshot read over the snapshot', () => {
    const r = new Roster();
    r.add(m('n:1', 'alice'));
    r.beginSync();
    expect(r.syncing).toBe(true);
    r.add(m('n:5', 'eve')); // joined after the read started: not in the snapshot
    r.remove('n:2'); // left after the read started, but the snapshot still has it
    r.add(m('n:6', 'frank'));
    r.remove('n:6');
    r.finishSync([m('n:1', 'alice'), m('n:2', 'bob'), m('n:3', 'carol')]);
    expect(r.syncing).toBe(false);
    expect([...r.list(10)].sort()).toEqual(['alice', 'carol', 'eve']);
    expect(r.size).toBe(3); // n:1, n:3, n:5: frank (n:6) came and went, bob (n:2) left
  });

  it('keeps what events built when a read fails', () => {
    const r = new Roster();
    r.beginSync();
    r.add(m('n:1', 'alice'));
    r.abandonSync();
    expect(r.syncing).toBe(false);
    expect(r.list(10)).toEqual(['alice']);
  });

  it('hands out the same list while it is unchanged: names past the cap and repeated names leave it as is', () => {
    const r = new Roster();
    r.add(m('n:1', 'alice'));
    r.add(m('n:2', 'bob'));
    const first = r.list(2);
    expect(first).toEqual(['alice', 'bob']);
    r.add(m('n:3', 'carol')); // past the cap
    r.add(m('n:4', 'alice')); // a second connection of a listed name
    expect(r.list(2)).toBe(first);
    expect(r.total).toBe(3);
    r.remove('n:4'); // alice still has n:1
    expect(r.list(2)).toBe(first);
    r.remove('n:1');
    expect(r.list(2)).toEqual(['bob', 'carol']);
    expect(r.list(5)).toEqual(['bob', 'carol']);
    r.add(m('n:5', 'dave')); // within the cap of the last list
    expect(r.list(5)).toEqual(['bob', 'carol', 'dave']);
  });

  it('is loaded from its first snapshot on, and stays loaded (answering) while a later one is read', () => {
    const r = new Roster();
    r.beginSync();
    r.add(m('n:1', 'alice'));
    expect(r.loaded).toBe(false);
    r.finishSync([m('n:2', 'bob')]);
    expect(r.loaded).toBe(true);
    r.beginSync();
    expect(r.syncing).toBe(true);
    expect(r.loaded).toBe(true);
    expect([...r.list(10)].sort()).toEqual(['alice', 'bob']);
  });
});
