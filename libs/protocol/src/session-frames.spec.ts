import { channelsCodec } from './channels.codec';
import { roomsChatCodec, roomsHubCodec } from './rooms.codec';
import { signalingCodec } from './signaling.codec';

const codecs = [roomsChatCodec, roomsHubCodec, channelsCodec, signalingCodec];

describe('frames every dialect takes alike: refresh, limits, ack', () => {
  it.each(codecs.map((c) => [c.name, c]))('%s decodes refresh and limits, and refuses a refresh without a token', (_name, codec) => {
    expect(codec.read('{"type":"refresh","token":"a.b.c"}')).toEqual({ type: 'refresh', command: { kind: 'refresh', token: 'a.b.c' } });
    expect(codec.read('{"type":"limits"}').command).toEqual({ kind: 'limits' });
    for (const bad of ['{"type":"refresh"}', '{"type":"refresh","token":""}', '{"type":"refresh","token":42}']) {
      expect(codec.read(bad).command).toMatchObject({ kind: 'invalid', code: 'bad_field', message: expect.stringContaining('"token"') });
    }
  });

  it.each(codecs.map((c) => [c.name, c]))('%s renders refreshed, ack and limits the same way', (_name, codec) => {
    expect(JSON.parse(codec.renderReply({ kind: 'refreshed', exp: 1_900_000_000 })!)).toEqual({ type: 'refreshed', exp: 1_900_000_000 });
    expect(JSON.parse(codec.renderReply({ kind: 'ack', id: 'm1', room: 'r', position: { offset: 7, epoch: 'e1' } })!)).toEqual({ type: 'ack', id: 'm1', room: 'r', offset: 7, epoch: 'e1' });
    expect(JSON.parse(codec.renderReply({ kind: 'limits', limits: { maxMessageSize: 512, messageRate: 10, messageBurst: 20, maxPublishIdLength: 64, publishDedupWindowMs: 120_000, joinCost: 2, resumeCost: 4, userListCost: 4 } })!)).toEqual({
      type: 'limits',
      max_message_size: 512,
      message_rate: 10,
      message_burst: 20,
      max_publish_id_length: 64,
      publish_dedup_window_ms: 120_000,
      join_cost: 2,
      resume_cost: 4,
      user_list_cost: 4,
    });
  });

  it('takes a publish id on the chat frames, and decodes them exactly as before without one', () => {
    expect(roomsChatCodec.read('{"type":"message","room":"r","content":"hi","id":"m-1"}').command).toEqual({ kind: 'say', room: 'r', content: 'hi', data: undefined, id: 'm-1' });
    expect(roomsChatCodec.read('{"type":"message","room":"r","content":"hi"}').command).toEqual({ kind: 'say', room: 'r', content: 'hi', data: undefined });
    expect(roomsHubCodec.read('{"type":"room_message","id":"m-2","data":{"room":"r","message":"hi"}}').command).toEqual({ kind: 'say', room: 'r', content: 'hi', id: 'm-2' });
    expect(roomsHubCodec.read('{"type":"room_message","data":{"room":"r","message":{"x":1},"id":"m-3"}}').command).toEqual({ kind: 'say', room: 'r', data: { x: 1 }, id: 'm-3' });
    expect(channelsCodec.read('{"type":"message","channel_id":"c","content":"hi","id":"m-4"}').command).toEqual({ kind: 'say', room: 'c', content: 'hi', data: undefined, id: 'm-4' });
  });

  it('refuses a bad publish id with an error naming the field', () => {
    for (const id of ['""', JSON.stringify('x'.repeat(65)), '7', '{"a":1}']) {
      for (const frame of [`{"type":"message","room":"r","content":"hi","id":${id}}`, `{"type":"room_message","id":${id},"data":{"room":"r","message":"hi"}}`]) {
        expect(roomsChatCodec.read(frame).command).toMatchObject({ kind: 'invalid', code: 'bad_field', message: expect.stringContaining('"id"') });
      }
      expect(channelsCodec.read(`{"type":"message","channel_id":"c","content":"hi","id":${id}}`).command).toMatchObject({ kind: 'invalid', code: 'bad_field', message: expect.stringContaining('"id"') });
    }
    expect(roomsChatCodec.read(`{"type":"message","room":"r","content":"hi","id":"${'x'.repeat(64)}"}`).command).toMatchObject({ kind: 'say', id: 'x'.repeat(64) });
  });
});
