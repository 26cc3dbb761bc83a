import { IdAllocator } from './id-allocator';

const turn = () => new Promise((r) => setImmediate(r));

describe('IdAllocator', () => {
  it('combines a node number with a local sequence and moves to a fresh node number before the sequence runs out', async () => {
    let counter = 0;
    const ids = new IdAllocator(async () => ++counter, undefined, 8);
    expect(await ids.start()).toBe(true);
    const first = Array.from({ length: 7 }, () => ids.next());
    expect(first).toEqual([9, 10, 11, 12, 13, 14, 15]); // node 1 × 8 + 1..7
    await turn(); // the spare node number fetched halfway arrives
    const second = Array.from({ length: 7 }, () => ids.next());
    expect(second).toEqual([17, 18, 19, 20, 21, 22, 23]); // node 2
    expect(counter).toBe(3); // node 3 already asked for, halfway through node 2
  });

  it('issues nothing until a node number arrived, and retries a failed fetch on demand', async () => {
    let fail = true;
    const errors: unknown[] = [];
    const ids = new IdAllocator(
      async () => {
        if (fail) throw new Error('store down');
        return 5;
      },
      (err) => errors.push(err),
    );
    expect(await ids.start()).toBe(false);
    expect(errors).toHaveLength(1);
    fail = false;
    expect(ids.next()).toBeUndefined(); // the retry is under way
    await turn();
    expect(ids.next()).toBe(5 * 2 ** 20 + 1);
  });

  it('refuses a node number that would take ids past 2^53', async () => {
    const errors: unknown[] = [];
    const ids = new IdAllocator(async () => 2 ** 33, (err) => errors.push(err));
    expect(await ids.start()).toBe(false);
    expect(String(errors[0])).toMatch(/out of range/);
  });
});
