import { frameBytes, Pacer } from './pacer';

describe('Pacer', () => {
  it('lets half the burst go at once, then the rate; frames sent regardless make later ones wait', () => {
    const pacer = new Pacer({ messageRate: 10, messageBurst: 6 }, 0);
    expect([pacer.take(0), pacer.take(0), pacer.take(0)]).toEqual([0, 0, 0]);
    expect(pacer.take(0)).toBe(100); // empty: one token every 100 ms
    expect(pacer.take(100)).toBe(0);
    pacer.force(100);
    pacer.force(100);
    expect(pacer.take(100)).toBe(300); // 2 owed, then its own
    expect(pacer.take(400)).toBe(0);
    expect(pacer.take(10_000)).toBe(0); // refilled, up to the capacity only
    expect([pacer.take(10_000), pacer.take(10_000), pacer.take(10_000)]).toEqual([0, 0, 100]);
  });

  it('holds nothing back without announced limits', () => {
    const pacer = new Pacer(undefined, 0);
    for (let i = 0; i < 1000; i++) expect(pacer.take(0)).toBe(0);
  });

  it('counts a frame in UTF-8 bytes, as the server does', () => {
    expect(frameBytes('{"a":"x"}')).toBe(9);
    expect(frameBytes('é')).toBe(2);
    expect(frameBytes('€')).toBe(3);
    expect(frameBytes('😀')).toBe(4);
    expect(frameBytes(JSON.stringify({ content: 'ü'.repeat(300) }))).toBe(Buffer.byteLength(JSON.stringify({ content: 'ü'.repeat(300) })));
  });
});
