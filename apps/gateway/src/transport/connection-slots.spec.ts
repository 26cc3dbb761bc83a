import { ConnectionSlots, type Slot } from './connection-slots';

describe('ConnectionSlots', () => {
  it('gives at most the replica cap and the per-IP cap, and takes a place back once per release', () => {
    const slots = new ConnectionSlots(4, 2);
    const a1 = slots.take('a') as Slot;
    const a2 = slots.take('a') as Slot;
    expect(slots.take('a')).toBe('ip');
    slots.take('b');
    slots.take('c');
    expect(slots.take('d')).toBe('replica');
    expect(slots.count).toBe(4);
    a1.release();
    a1.release();
    expect(slots.count).toBe(3);
    expect(slots.take('a')).not.toBe('ip');
    expect(slots.take('a')).toBe('replica');
    a2.release();
    expect(slots.take('e')).toEqual({ release: expect.any(Function) });
  });

  it('has no per-IP cap at 0', () => {
    const slots = new ConnectionSlots(3, 0);
    expect([slots.take('a'), slots.take('a'), slots.take('a')].every((s) => typeof s === 'object')).toBe(true);
    expect(slots.take('a')).toBe('replica');
  });
});
