import { formatEventId, type MarkedRoom, parseEventId, RoomMarks } from './room-marks';

const STYLES = new Set(['chat', 'hub']);

/** Marks of a connection whose rooms (and their styles) are `rooms`. */
function marksOf(rooms: Map<string, string>, resumed: MarkedRoom[] = []) {
  const marks = new RoomMarks(resumed);
  marks.attach({ styleOf: (room) => rooms.get(room) });
  return marks;
}

describe('event ids', () => {
  it('write every room with its style, position and token, and read back the same', () => {
    const rooms: MarkedRoom[] = [
      { room: 'lobby', style: 'chat', position: { offset: 41, epoch: '9f2c1a7e' } },
      { room: 'team:a@b#c.d-e_f', style: 'hub' },
      { room: 'x', style: 'chat', position: { offset: 0, epoch: 'e' }, token: 'abc.DEF-_1' },
    ];
    const id = formatEventId(rooms);
    expect(id).toBe('1,lobby~chat~9f2c1a7e~41,team:a@b#c.d-e_f~hub,x~chat~e~0~abc.DEF-_1');
    expect(parseEventId(id, STYLES)).toEqual(rooms);
    expect(parseEventId('1', STYLES)).toEqual([]);
  });

  it('write the epoch of a room with no history yet (~<run>.<ms>) so that it reads back', () => {
    const rooms: MarkedRoom[] = [{ room: 'quiet', style: 'chat', position: { offset: 0, epoch: '~19e8a60a1ef5.1796673028878' }, token: 'eyJl.sig' }];
    const id = formatEventId(rooms);
    expect(id).toBe('1,quiet~chat~!19e8a60a1ef5.1796673028878~0~eyJl.sig');
    expect(parseEventId(id, STYLES)).toEqual(rooms);
  });

  it.each([
    ['another version', '2,lobby~chat'],
    ['no version', 'lobby~chat'],
    ['a style the dialect has not', '1,lobby~channel'],
    ['a bad room name', '1,lo by~chat'],
    ['an offset that is not a number', '1,lobby~chat~e1~x'],
    ['an epoch without an offset', '1,lobby~chat~e1'],
    ['a room twice', '1,lobby~chat,lobby~hub'],
    ['too many fields', '1,lobby~chat~e~1~t~more'],
    ['an empty entry', '1,,lobby~chat'],
  ])('refuse %s', (_why, id) => {
    expect(parseEventId(id, STYLES)).toEqual({ bad: expect.stringContaining('Last-Event-ID') });
  });
});

describe('RoomMarks', () => {
  it('starts a plain join at its confirmed position and moves with every publication, once each', () => {
    const marks = marksOf(new Map([['lobby', 'chat']]));
    expect(marks.hasMoved).toBe(false);
    marks.confirmed('lobby', { offset: 5, epoch: 'e1' }, undefined);
    expect(marks.take()).toBe('1,lobby~chat~e1~5');
    expect(marks.hasMoved).toBe(false);
    marks.published({ room: 'lobby', offset: 6, epoch: 'e1' });
    expect(marks.take()).toBe('1,lobby~chat~e1~6');
    // A copy of an older publication does not move it back.
    marks.published({ room: 'lobby', offset: 6, epoch: 'e1' });
    expect(marks.hasMoved).toBe(false);
  });

  it('keeps a later publication sent before a plain join was confirmed', () => {
    const marks = marksOf(new Map([['lobby', 'chat']]));
    marks.published({ room: 'lobby', offset: 9, epoch: 'e1' });
    marks.confirmed('lobby', { offset: 7, epoch: 'e1' }, undefined);
    expect(marks.take()).toBe('1,lobby~chat~e1~9');
  });

  it('a recovered resume stands where the client stood until the replay moves it; an unrecovered one goes on from the confirmation', () => {
    const rooms = new Map([
      ['a', 'chat'],
      ['b', 'hub'],
    ]);
    const marks = marksOf(rooms, [
      { room: 'a', style: 'chat', position: { offset: 3, epoch: 'e1' } },
      { room: 'b', style: 'hub', position: { offset: 10, epoch: 'old' } },
    ]);
    marks.confirmed('a', { offset: 8, epoch: 'e1' }, true);
    marks.confirmed('b', { offset: 2, epoch: 'new' }, false);
    expect(marks.take()).toBe('1,a~chat~e1~3,b~hub~new~2');
    marks.published({ room: 'a', offset: 4, epoch: 'e1' });
    expect(marks.take()).toBe('1,a~chat~e1~4,b~hub~new~2');
  });

  it("a client's own resuming join stands at its since until the replay", () => {
    const marks = marksOf(new Map([['a', 'chat']]));
    marks.joining('a', { offset: 2, epoch: 'e1' });
    marks.confirmed('a', { offset: 6, epoch: 'e1' }, true);
    expect(marks.take()).toBe('1,a~chat~e1~2');
  });

  it('forgets a room left, and rooms of the Last-Event-ID that were not joined again once the resume settled', () => {
    const rooms = new Map([['a', 'chat']]);
    const marks = marksOf(rooms, [
      { room: 'a', style: 'chat', position: { offset: 1, epoch: 'e1' } },
      { room: 'refused', style: 'chat', position: { offset: 1, epoch: 'e1' } },
    ]);
    // Until the resume has settled, the rooms still being joined stay in the id.
    expect(marks.take()).toBe('1,a~chat~e1~1,refused~chat~e1~1');
    marks.confirmed('a', { offset: 1, epoch: 'e1' }, true);
    marks.settled();
    expect(marks.take()).toBe('1,a~chat~e1~1');
    marks.left('a');
    expect(marks.hasMoved).toBe(true);
    expect(marks.take()).toBe('1');
  });

  it('leaves out a room the connection is no longer in, and ignores publications of rooms it never joined', () => {
    const rooms = new Map([['a', 'chat']]);
    const marks = marksOf(rooms);
    marks.published({ room: 'a', offset: 1, epoch: 'e1' });
    marks.published({ room: 'elsewhere', offset: 1, epoch: 'e1' });
    rooms.delete('a');
    expect(marks.take()).toBe('1');
  });
});

describe('RoomMarks shared id lines', () => {
  it('offers a key only while the session is in the publication\'s room alone, the same key for sessions alike', () => {
    const one = marksOf(new Map([['lobby', 'chat']]));
    const another = marksOf(new Map([['lobby', 'chat']]));
    for (const m of [one, another]) {
      m.confirmed('lobby', { offset: 1, epoch: 'e1' }, undefined);
      m.take();
      m.published({ room: 'lobby', offset: 2, epoch: 'e1' });
    }
    const key = one.sharedKey({ room: 'lobby', offset: 2, epoch: 'e1' });
    expect(key).toBeDefined();
    expect(another.sharedKey({ room: 'lobby', offset: 2, epoch: 'e1' })).toBe(key);
    const mark = { room: 'lobby', offset: 2, epoch: 'e1' };
    expect(one.idStart(mark) + one.idEnd(mark).toString()).toBe('id: 1,lobby~chat~e1~2\n');
    expect(one.hasMoved).toBe(false);

    // A resume token (it names the user) ends the id: sessions still share its start.
    const tokened = marksOf(new Map([['lobby', 'chat']]));
    tokened.confirmed('lobby', { offset: 1, epoch: 'e1' }, undefined, 'tok-of-ann');
    tokened.published(mark);
    expect(tokened.sharedKey(mark)).toBe(key);
    expect(tokened.idStart(mark) + tokened.idEnd(mark).toString()).toBe('id: 1,lobby~chat~e1~2~tok-of-ann\n');
    expect(tokened.idEnd(mark)).toBe(tokened.idEnd(mark)); // made once per token, not per frame

    const two = marksOf(new Map([['lobby', 'chat'], ['side', 'hub']]));
    two.confirmed('lobby', { offset: 1, epoch: 'e1' }, undefined);
    two.confirmed('side', { offset: 1, epoch: 'e2' }, undefined);
    two.published({ room: 'lobby', offset: 2, epoch: 'e1' });
    expect(two.sharedKey({ room: 'lobby', offset: 2, epoch: 'e1' })).toBeUndefined();
    const hub = marksOf(new Map([['lobby', 'hub']]));
    hub.confirmed('lobby', { offset: 2, epoch: 'e1' }, undefined);
    expect(hub.sharedKey({ room: 'lobby', offset: 2, epoch: 'e1' })).not.toBe(key);
  });
});
