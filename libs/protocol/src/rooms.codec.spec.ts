import { subjectOf } from './codec';
import { roomsChatCodec, roomsHubCodec } from './rooms.codec';
import { roomAllowed } from './room-name';

describe('rooms codec', () => {
  it('decodes both seeds\' spellings into the same commands', () => {
    expect(roomsChatCodec.read('{"type":"join","room":"room1"}').command).toEqual({ kind: 'join', room: 'room1', style: 'chat' });
    expect(roomsChatCodec.read('{"type":"join_room","data":"room1"}').command).toEqual({ kind: 'join', room: 'room1', style: 'hub' });
    expect(roomsChatCodec.read('{"type":"leave_room","data":"room1"}').command).toEqual({ kind: 'leave', room: 'room1' });
    expect(roomsChatCodec.read('{"type":"message","room":"r","content":"hi"}').command).toEqual({ kind: 'say', room: 'r', content: 'hi', data: undefined });
    expect(roomsChatCodec.read('{"type":"room_message","data":{"room":"r","message":"hi"}}').command).toEqual({ kind: 'say', room: 'r', content: 'hi' });
    expect(roomsChatCodec.read('{"type":"private_message","user_id":"u","data":{"x":1}}').command).toEqual({ kind: 'private', to: 'u', content: undefined, data: { x: 1 } });
  });

  it('renders a room message once per flavour: message for seed 001, room_message for seed 002', () => {
    const event = { kind: 'message' as const, room: 'r', from: { id: 'u1', name: 'ann' }, content: 'hi', ts: 1_700_000_000_123 };
    expect(JSON.parse(roomsChatCodec.render(event)!)).toEqual({ type: 'message', room: 'r', content: 'hi', user_id: 'u1', username: 'ann', timestamp: 1_700_000_000 });
    expect(JSON.parse(roomsHubCodec.render(event)!)).toEqual({
      type: 'room_message',
      room: 'r',
      data: { room: 'r', message: 'hi', user_id: 'u1', username: 'ann' },
      user_id: 'u1',
      username: 'ann',
      timestamp: 1_700_000_000,
    });
  });

  it('renders user_list as plain JSON, the same list with each total and position', () => {
    const names = ['al"ice', 'bob'];
    const a = JSON.parse(roomsHubCodec.renderReply({ kind: 'user_list', room: 'r', names, total: 5, position: { offset: 3, epoch: 'e' } })!);
    const b = JSON.parse(roomsHubCodec.renderReply({ kind: 'user_list', room: 'r', names })!);
    expect(a).toEqual({ type: 'user_list', room: 'r', data: ['al"ice', 'bob'], total: 5, timestamp: expect.any(Number), epoch: 'e', offset: 3 });
    expect(b).toEqual({ type: 'user_list', room: 'r', data: ['al"ice', 'bob'], timestamp: expect.any(Number) });
    expect(Object.keys(a)).toEqual(['type', 'room', 'data', 'total', 'timestamp', 'epoch', 'offset']);
  });

  it('renders errors with a stable code', () => {
    const frame = JSON.parse(roomsChatCodec.renderReply({ kind: 'error', code: 'room_full', message: 'room full' })!);
    expect(frame).toMatchObject({ type: 'error', content: 'room full', data: { code: 'room_full' } });
  });

  it('names the frame an error answers (re) and its room, and nothing when it answers none', () => {
    const answering = JSON.parse(roomsChatCodec.renderReply({ kind: 'error', code: 'room_full', message: 'room full', re: 'join_room', room: 'r' })!);
    expect(answering).toMatchObject({ type: 'error', data: { code: 'room_full' }, re: 'join_room', room: 'r' });
    const unprompted = JSON.parse(roomsChatCodec.renderReply({ kind: 'error', code: 'unavailable', message: 'bus down' })!);
    expect(Object.keys(unprompted)).toEqual(['type', 'content', 'data', 'timestamp']);
  });

  it('reads a frame with its type, so an error can name it', () => {
    expect(roomsHubCodec.read('{"type":"join_room","data":"r1"}')).toEqual({ type: 'join_room', command: { kind: 'join', room: 'r1', style: 'hub' } });
    expect(subjectOf(roomsHubCodec.read('{"type":"join_room","data":"r1"}'))).toEqual({ re: 'join_room', room: 'r1' });
    expect(subjectOf(roomsHubCodec.read('{"type":"ping"}'))).toEqual({ re: 'ping', room: undefined });
    const bad = roomsHubCodec.read('{"type":"message","room":"r"}');
    expect(bad).toMatchObject({ type: 'message', command: { kind: 'invalid', code: 'bad_field' } });
    expect(roomsHubCodec.read('not json')).toEqual({ command: expect.objectContaining({ kind: 'invalid', code: 'bad_json' }) });
  });
});

describe('roomAllowed', () => {
  it('allows any room without a claim, exact names and * patterns with one', () => {
    expect(roomAllowed(undefined, 'anything')).toBe(true);
    expect(roomAllowed([], 'anything')).toBe(false);
    expect(roomAllowed(['lobby'], 'lobby')).toBe(true);
    expect(roomAllowed(['lobby'], 'lobby2')).toBe(false);
    expect(roomAllowed(['team-*'], 'team-red')).toBe(true);
    expect(roomAllowed(['team-*'], 'xteam-red')).toBe(false);
    expect(roomAllowed(['*'], 'x')).toBe(true);
    expect(roomAllowed(['a.b*'], 'aXb')).toBe(false);
  });
});
