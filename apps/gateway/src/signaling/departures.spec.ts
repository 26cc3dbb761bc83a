import { Departures } from './departures';

describe('Departures', () => {
  it('says how a peer left for a while, then nothing', () => {
    const d = new Departures();
    d.note('lost', true, 0);
    d.note('bye', false, 0);
    expect([d.away('lost', 5_000), d.away('bye', 5_000), d.away('never', 5_000)]).toEqual([true, false, undefined]);
    expect(d.away('lost', 20_000)).toBeUndefined();
    d.note('lost', false, 20_000); // came back and said goodbye this time
    expect(d.away('lost', 20_001)).toBe(false);
  });

  it('knows a peer that resumed on another replica moved, and then says nothing of it being away', () => {
    const d = new Departures();
    d.note('p', true, 0);
    expect(d.hasMoved('p', 1)).toBe(false);
    d.moved('p', 2);
    expect([d.hasMoved('p', 3), d.away('p', 3)]).toEqual([true, undefined]);
    expect(d.hasMoved('p', 20_000)).toBe(false);
  });
});
