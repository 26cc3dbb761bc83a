import { costOf, frameBytes, Pacer } from './pacer';

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

  it('weighs joins, resumes and user_list as the server announced, and never asks for more than it holds', () => {
    const limits = { messageRate: 10, messageBurst: 20, joinCost: 2, resumeCost: 4, userListCost: 4 };
    expect(costOf({ type: 'join', room: 'r' }, limits)).toBe(2);
    expect(costOf({ type: 'join', room: 'r', since: { offset: 1 } }, limits)).toBe(4);
    expect(costOf({ type: 'join_channel', channel_id: '7', since: { offset: 1 } }, limits)).toBe(4);
    expect(costOf({ type: 'user_list', room: 'r' }, limits)).toBe(4);
    expect(costOf({ type: 'message', room: 'r' }, limits)).toBe(1);
    expect(costOf({ type: 'join', room: 'r' }, undefined)).toBe(1);
    const pacer = new Pacer(limits, 0); // holds 10
    expect([pacer.take(0, 4), pacer.take(0, 4)]).toEqual([0, 0]);
    expect(pacer.take(0, 4)).toBe(200); // 2 left: two more tokens at 10/s
    expect(pacer.take(200, 4)).toBe(0);
    expect(new Pacer({ messageRate: 10, messageBurst: 4 }, 0).take(0, 9)).toBe(0); // a cost above what it holds takes all it holds
  });
});
