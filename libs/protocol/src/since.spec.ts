import { channelsCodec } from './channels.codec';
import { roomsChatCodec, roomsHubCodec } from './rooms.codec';
import { sinceFromQuery } from './since';

const since = { offset: 41, epoch: 'a1b2c3d4' };

describe('since in join frames', () => {
  it('decodes since in join, join_room and join_channel', () => {
    expect(roomsChatCodec.read(JSON.stringify({ type: 'join', room: 'room1', since })).command).toEqual({ kind: 'join', room: 'room1', style: 'chat', since });
    expect(roomsChatCodec.read(JSON.stringify({ type: 'join_room', data: 'room1', since })).command).toEqual({ kind: 'join', room: 'room1', style: 'hub', since });
    expect(channelsCodec.read(JSON.stringify({ type: 'join_channel', channel_id: 'c1', since })).command).toEqual({ kind: 'join', room: 'c1', style: 'channel', since });
  });

  it('decodes the resume_token beside the position', () => {
    const withToken = { ...since, resume_token: 'eyJlIjoiYSJ9.sig-_' };
    expect(roomsChatCodec.read(JSON.stringify({ type: 'join', room: 'room1', since: withToken })).command).toEqual({ kind: 'join', room: 'room1', style: 'chat', since: { ...since, token: 'eyJlIjoiYSJ9.sig-_' } });
    expect(sinceFromQuery(new URLSearchParams('since=41&epoch=a1b2c3d4&resume_token=ab.cd'))).toEqual({ ...since, token: 'ab.cd' });
    expect(sinceFromQuery(new URLSearchParams('since=41&epoch=a1b2c3d4&resume_token=a%20b'))).toEqual({ bad: expect.stringContaining('resume_token') });
  });

  it('joins without since when there is none', () => {
    expect(roomsChatCodec.read('{"type":"join","room":"room1"}').command).not.toHaveProperty('since');
    expect(channelsCodec.read('{"type":"join_channel","channel_id":"c1","since":null}').command).not.toHaveProperty('since');
  });

  it.each([
    ['a number', 5],
    ['a string', '5'],
    ['an array', [5, 'e']],
    ['a negative offset', { offset: -1, epoch: 'e' }],
    ['a fractional offset', { offset: 1.5, epoch: 'e' }],
    ['a huge offset', { offset: 1e300, epoch: 'e' }],
    ['an offset as text', { offset: '5', epoch: 'e' }],
    ['no epoch', { offset: 5 }],
    ['an empty epoch', { offset: 5, epoch: '' }],
    ['a numeric epoch', { offset: 5, epoch: 7 }],
    ['a very long epoch', { offset: 5, epoch: 'e'.repeat(65) }],
    ['a numeric resume_token', { offset: 5, epoch: 'e', resume_token: 5 }],
    ['a resume_token with spaces', { offset: 5, epoch: 'e', resume_token: 'a b' }],
  ])('refuses since as %s with a bad_field error', (_, value) => {
    for (const frame of [
      { type: 'join', room: 'r', since: value },
      { type: 'join_room', data: 'r', since: value },
    ]) {
      expect(roomsChatCodec.read(JSON.stringify(frame)).command).toEqual({ kind: 'invalid', code: 'bad_field', message: expect.stringContaining('"since"') });
    }
    expect(channelsCodec.read(JSON.stringify({ type: 'join_channel', channel_id: 'c', since: value })).command).toMatchObject({ kind: 'invalid', code: 'bad_field' });
  });
});

describe('since on paths that join', () => {
  it('reads ?since=&epoch= together, and nothing without them', () => {
    expect(sinceFromQuery(new URLSearchParams('since=41&epoch=a1b2c3d4'))).toEqual(since);
    expect(sinceFromQuery(new URLSearchParams('since=0&epoch=x'))).toEqual({ offset: 0, epoch: 'x' });
    expect(sinceFromQuery(new URLSearchParams('token=t'))).toBeUndefined();
  });

  it.each(['since=5', 'epoch=e', 'since=-1&epoch=e', 'since=1.5&epoch=e', 'since=abc&epoch=e', 'since=1&epoch=', 'since=9999999999999999&epoch=e'])('refuses %s', (q) => {
    expect(sinceFromQuery(new URLSearchParams(q))).toEqual({ bad: expect.stringContaining('since') });
  });
});

describe('positions in frames', () => {
  const position = { offset: 7, epoch: 'ep1' };
  const message = { kind: 'message' as const, room: 'r', from: { id: 'u1', name: 'ann' }, content: 'hi', ts: 1_700_000_000_000, ...position };

  it('renders offset and epoch on room messages, room notifications and lifecycle events in every dialect', () => {
    const lifecycle = { kind: 'new_message' as const, room: 'r', data: { id: 'm1' }, ts: 1, ...position };
    const notice = { kind: 'room_message' as const, room: 'r', data: 'all', ts: 1, ...position };
    for (const codec of [roomsChatCodec, roomsHubCodec, channelsCodec]) {
      for (const event of [message, lifecycle, notice]) expect(JSON.parse(codec.render(event)!)).toMatchObject(position);
    }
  });

  it('renders no position where the event has none (join/leave notices)', () => {
    const join = { kind: 'join' as const, room: 'r', from: { id: 'u1', name: 'ann' }, ts: 1 };
    expect(JSON.parse(roomsChatCodec.render(join)!)).not.toHaveProperty('offset');
    expect(JSON.parse(channelsCodec.render(join)!)).not.toHaveProperty('epoch');
  });

  it('puts epoch, offset and recovered on user_list and channel_joined', () => {
    const list = JSON.parse(roomsChatCodec.renderReply({ kind: 'user_list', room: 'r', names: ['ann'], position, recovered: true })!);
    expect(list).toMatchObject({ type: 'user_list', room: 'r', data: ['ann'], epoch: 'ep1', offset: 7, recovered: true });
    const joined = JSON.parse(channelsCodec.renderReply({ kind: 'joined', room: 'c', who: { id: 'u1', name: 'ann' }, position, recovered: false })!);
    expect(joined).toMatchObject({ type: 'channel_joined', channel_id: 'c', epoch: 'ep1', offset: 7, recovered: false });
    const refused = JSON.parse(roomsChatCodec.renderReply({ kind: 'user_list', room: 'r', names: [], position, recovered: false, resumeToken: 't.s', gap: 'resume_token_missing' })!);
    expect(refused).toMatchObject({ recovered: false, resume_token: 't.s', gap: 'resume_token_missing' });
    const plain = JSON.parse(roomsHubCodec.renderReply({ kind: 'user_list', room: 'r', names: [], position })!);
    expect(plain).toMatchObject({ epoch: 'ep1', offset: 7 });
    expect(plain).not.toHaveProperty('recovered');
  });
});
