import { randomId } from './random-id';

describe('randomId', () => {
  const ids = Array.from({ length: 10_000 }, () => Number(randomId()));

  it('gives positive integers below 2^53, none twice', () => {
    for (const id of ids) expect(Number.isSafeInteger(id) && id > 0).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('shows no usable pattern: no id is the one before plus a small step, and they spread over the whole range', () => {
    const steps = ids.slice(1).map((id, i) => Math.abs(id - ids[i]));
    // Two uniform draws below 2^53 land within 2^32 of each other with probability ~2^-20.
    expect(steps.filter((d) => d < 2 ** 32)).toEqual([]);
    // Each sixteenth of the range holds its share (625 expected; a 6-sigma band).
    const buckets = new Array<number>(16).fill(0);
    for (const id of ids) buckets[Math.floor(id / 2 ** 49)]++;
    for (const n of buckets) expect(Math.abs(n - 625)).toBeLessThan(150);
    // Every bit is set about half the time, the low ones too (a counter's are not).
    for (let bit = 0; bit < 53; bit++) {
      const set = ids.filter((id) => Math.floor(id / 2 ** bit) % 2 === 1).length;
      expect(Math.abs(set - 5000)).toBeLessThan(300);
    }
  });
});
