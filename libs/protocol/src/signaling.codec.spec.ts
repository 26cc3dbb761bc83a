import { ErrorCode } from './codes';
import type { SignalEvent } from './events';
import { signalingCodec as codec, signalingRoom } from './signaling.codec';

const frame = (text: string | undefined) => JSON.parse(text!);

describe('signaling codec', () => {
  it('decodes room commands with integer ids (numbers or decimal strings)', () => {
    expect(codec.read('{"type":"create_room"}').command).toEqual({ kind: 'create_room' });
    expect(codec.read('{"type":"join_room","room_id":42}').command).toEqual({ kind: 'join', room: '42', style: 'signaling' });
    expect(codec.read('{"type":"join_room","room_id":"42"}').command).toEqual({ kind: 'join', room: '42', style: 'signaling' });
    expect(codec.read('{"type":"leave_room","room_id":42}').command).toEqual({ kind: 'leave', room: '42' });
    expect(codec.read('{"type":"leave_room"}').command).toEqual({ kind: 'leave_all' });
    expect(codec.read('{"type":"ping"}').command).toEqual({ kind: 'ping' });
  });

  it('decodes offer, answer and ice_candidate into relays to a peer', () => {
    const sdp = { type: 'offer', sdp: 'v=0\r\n' };
    expect(codec.read(JSON.stringify({ type: 'offer', to: 7, data: sdp })).command).toEqual({ kind: 'relay', type: 'offer', to: '7', data: sdp });
    expect(codec.read('{"type":"answer","to":7,"data":"x"}').command).toEqual({ kind: 'relay', type: 'answer', to: '7', data: 'x' });
    expect(codec.read('{"type":"ice_candidate","to":9007199254740991,"data":null}').command).toEqual({
      kind: 'relay',
      type: 'ice_candidate',
      to: '9007199254740991',
      data: null,
    });
  });

  it.each([
    ['not json', 'nope', ErrorCode.BadJson],
    ['an array', '[1]', ErrorCode.BadJson],
    ['no type', '{"room_id":1}', ErrorCode.UnknownType],
    ['an unknown type', '{"type":"hello"}', ErrorCode.UnknownType],
    ['a chat type', '{"type":"message","room":"r","content":"x"}', ErrorCode.UnknownType],
    ['join_room without room_id', '{"type":"join_room"}', ErrorCode.BadField],
    ['join_room with room 0', '{"type":"join_room","room_id":0}', ErrorCode.BadField],
    ['join_room with a negative room', '{"type":"join_room","room_id":-3}', ErrorCode.BadField],
    ['join_room with a fraction', '{"type":"join_room","room_id":1.5}', ErrorCode.BadField],
    ['join_room with 2^53', '{"type":"join_room","room_id":9007199254740992}', ErrorCode.BadField],
    ['join_room with a name', '{"type":"join_room","room_id":"lobby"}', ErrorCode.BadField],
    ['leave_room with a bad room', '{"type":"leave_room","room_id":"x"}', ErrorCode.BadField],
    ['offer without to', '{"type":"offer","data":{}}', ErrorCode.BadField],
    ['offer to a string name', '{"type":"offer","to":"bob","data":{}}', ErrorCode.BadField],
    ['offer to an object', '{"type":"offer","to":{"id":1},"data":{}}', ErrorCode.BadField],
    ['ice_candidate without data', '{"type":"ice_candidate","to":3}', ErrorCode.BadField],
  ])('answers %s with an error', (_what, raw, code) => {
    const decoded = codec.read(raw).command;
    expect(decoded).toMatchObject({ kind: 'invalid', code });
    expect(frame(codec.renderReply({ kind: 'error', code, message: (decoded as { message: string }).message }))).toEqual({
      type: 'error',
      code,
      message: expect.any(String),
    });
  });

  it('names the frame an error answers (re) and its room as a numeric id', () => {
    expect(frame(codec.renderReply({ kind: 'error', code: ErrorCode.RoomFull, message: 'full', re: 'join_room', room: '42' }))).toEqual({
      type: 'error',
      code: 'room_full',
      message: 'full',
      re: 'join_room',
      room_id: 42,
    });
    expect(frame(codec.renderReply({ kind: 'error', code: ErrorCode.Unavailable, message: 'bus down', re: 'offer' }))).toEqual({
      type: 'error',
      code: 'unavailable',
      message: 'bus down',
      re: 'offer',
    });
    expect(codec.read('{"type":"create_room"}')).toEqual({ type: 'create_room', command: { kind: 'create_room' } });
    expect(codec.read('{"type":"resume","token":"abc"}').command).toEqual({ kind: 'resume', token: 'abc' });
    expect(codec.read('{"type":"resume"}').command).toMatchObject({ kind: 'invalid', code: 'bad_field' });
  });

  it('renders replies with numeric ids', () => {
    expect(frame(codec.renderReply({ kind: 'welcome', clientId: '1048577' }))).toEqual({ type: 'welcome', client_id: 1048577 });
    expect(frame(codec.renderReply({ kind: 'welcome', clientId: '7', resumeToken: 't' }))).toEqual({ type: 'welcome', client_id: 7, resume_token: 't' });
    expect(frame(codec.renderReply({ kind: 'resumed', clientId: '7', resumeToken: 't2', rooms: [{ room: '5', peers: ['8'] }] }))).toEqual({
      type: 'resumed',
      client_id: 7,
      resume_token: 't2',
      rooms: [{ room_id: 5, peers: [8] }],
    });
    expect(frame(codec.renderReply({ kind: 'room_created', room: '5' }))).toEqual({ type: 'room_created', room_id: 5 });
    expect(frame(codec.renderReply({ kind: 'room_joined', room: '5', peers: ['1', '2'] }))).toEqual({ type: 'room_joined', room_id: 5, peers: [1, 2] });
    expect(frame(codec.renderReply({ kind: 'pong', ts: 1 }))).toMatchObject({ type: 'pong' });
    expect(codec.renderReply({ kind: 'user_list', room: '5', names: [] })).toBeUndefined();
  });

  it('renders peer_joined / peer_left and relayed signals, and nothing of chat', () => {
    const from = { id: 'u', name: 'u' };
    expect(frame(codec.render({ kind: 'join', room: signalingRoom('5'), from, clientId: '9', ts: 1 }))).toEqual({ type: 'peer_joined', room_id: 5, client_id: 9 });
    expect(frame(codec.render({ kind: 'leave', room: signalingRoom('5'), from, clientId: '9', ts: 1 }))).toEqual({ type: 'peer_left', room_id: 5, client_id: 9 });
    expect(codec.render({ kind: 'join', room: 'lobby', from, clientId: '9', ts: 1 })).toBeUndefined();
    // A chat room named like an id is another room: not a signaling one.
    expect(codec.render({ kind: 'join', room: '5', from, clientId: '9', ts: 1 })).toBeUndefined();
    const signal: SignalEvent = { kind: 'signal', type: 'answer', from: '3', to: '9', rooms: ['5'], data: { sdp: 'x' }, ts: 1 };
    expect(frame(codec.render(signal))).toEqual({ type: 'answer', from: 3, data: { sdp: 'x' } });
    expect(codec.render({ kind: 'message', room: '5', from, content: 'hi', ts: 1 })).toBeUndefined();
  });
});
