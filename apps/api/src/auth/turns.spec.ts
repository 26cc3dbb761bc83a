import { Turns } from './turns';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('Turns', () => {
  it('lets one caller per key in at a time, in arrival order, and others at once', async () => {
    const turns = new Turns();
    const order: string[] = [];
    const a = turns.take('u', 5)!.then((leave) => (order.push('a'), leave));
    const b = turns.take('u', 5)!.then((leave) => (order.push('b'), leave));
    const other = turns.take('v', 5)!.then((leave) => (order.push('other'), leave));
    await tick();
    expect(order).toEqual(['a', 'other']);
    (await a)();
    await tick();
    expect(order).toEqual(['a', 'other', 'b']);
    (await b)();
    (await other)();
    expect(turns.size).toBe(0);
  });

  it('refuses a caller when max already hold or wait, and takes one again after a leave', async () => {
    const turns = new Turns();
    const first = turns.take('u', 2)!;
    const second = turns.take('u', 2)!;
    expect(turns.take('u', 2)).toBeUndefined();
    const leave = await first;
    leave();
    leave(); // a second call changes nothing
    const third = turns.take('u', 2);
    expect(third).toBeDefined();
    (await second)();
    (await third!)();
    expect(turns.size).toBe(0);
  });
});
