import { channelsCodec } from './channels.codec';
import { ErrorCode } from './codes';
import type { HubEvent } from './events';

const render = (e: HubEvent) => JSON.parse(channelsCodec.render(e)!) as Record<string, unknown>;
const ts = Date.UTC(2026, 10, 30, 12, 0, 0);
const iso = new Date(ts).toISOString();

describe('channels codec (seed 003)', () => {
  describe('decode', () => {
    it('reads join_channel (with and without since), leave_channel and ping', () => {
      expect(channelsCodec.read('{"type":"join_channel","channel_id":"general"}').command).toEqual({ kind: 'join', room: 'general', style: 'channel' });
      expect(channelsCodec.read('{"type":"join_channel","channel_id":"general","since":{"offset":4,"epoch":"ab"}}').command).toEqual({
        kind: 'join',
        room: 'general',
        style: 'channel',
        since: { offset: 4, epoch: 'ab' },
      });
      expect(channelsCodec.read('{"type":"leave_channel","channel_id":"general"}').command).toEqual({ kind: 'leave', room: 'general' });
      expect(channelsCodec.read('{"type":"ping"}').command).toEqual({ kind: 'ping' });
    });

    it.each([
      ['{"type":"join_channel"}', ErrorCode.BadField, /needs "channel_id"/],
      ['{"type":"join_channel","channel_id":"a b"}', ErrorCode.BadField, /invalid channel_id/],
      ['{"type":"leave_channel","channel_id":42}', ErrorCode.BadField, /invalid channel_id/],
      ['{"type":"join_channel","channel_id":"c","since":{"offset":"x"}}', ErrorCode.BadField, /since/],
      ['{"type":"send","channel_id":"c"}', ErrorCode.UnknownType, /unknown message type "send"/],
      ['{"type":"message","channel_id":"c"}', ErrorCode.BadField, /"message" needs "content"/],
      ['not json', ErrorCode.BadJson, /malformed JSON/],
      ['[1,2]', ErrorCode.BadJson, /JSON object/],
      ['{"channel_id":"c"}', ErrorCode.UnknownType, /missing "type"/],
    ])('answers %s with %s', (raw, code, message) => {
      const out = channelsCodec.read(raw).command;
      expect(out).toMatchObject({ kind: 'invalid', code });
      expect((out as { message: string }).message).toMatch(message);
    });
  });

  describe('render', () => {
    it('renders lifecycle events with ISO timestamps and their history position', () => {
      expect(render({ kind: 'new_message', room: 'general', data: { id: 'm1', content: 'hi' }, ts, offset: 7, epoch: 'e1' })).toEqual({
        type: 'new_message',
        channel_id: 'general',
        timestamp: iso,
        data: { id: 'm1', content: 'hi' },
        offset: 7,
        epoch: 'e1',
      });
      expect(render({ kind: 'message_deleted', room: 'general', data: { id: 'm1' }, ts })).toMatchObject({ type: 'message_deleted', channel_id: 'general' });
    });

    it('names people by user_email and says when one is a guest', () => {
      expect(render({ kind: 'join', room: 'general', from: { id: 'u1', name: 'ann', email: 'ann@example.com' }, ts })).toMatchObject({
        type: 'channel_joined',
        channel_id: 'general',
        user_email: 'ann@example.com',
        username: 'ann',
        timestamp: iso,
      });
      const left = render({ kind: 'leave', room: 'general', from: { id: 'g', name: 'g', guest: true }, ts });
      expect(left).toMatchObject({ type: 'channel_left', user_email: null, guest: true });
    });

    it('confirms a join with the room position and whether it resumed; sends nothing for user_list', () => {
      const joined = JSON.parse(
        channelsCodec.renderReply({ kind: 'joined', room: 'general', who: { id: 'u1', name: 'ann', email: 'a@x' }, position: { offset: 3, epoch: 'e' }, recovered: true })!,
      );
      expect(joined).toMatchObject({ type: 'channel_joined', channel_id: 'general', user_email: 'a@x', offset: 3, epoch: 'e', recovered: true });
      expect(channelsCodec.renderReply({ kind: 'user_list', room: 'general', names: ['ann'] })).toBeUndefined();
      expect(JSON.parse(channelsCodec.renderReply({ kind: 'pong', ts })!)).toEqual({ type: 'pong', timestamp: iso });
      expect(JSON.parse(channelsCodec.renderReply({ kind: 'error', code: ErrorCode.NotInRoom, message: 'no' })!)).toMatchObject({ type: 'error', code: 'not_in_room', message: 'no' });
      expect(JSON.parse(channelsCodec.renderReply({ kind: 'error', code: ErrorCode.Forbidden, message: 'no', re: 'join_channel', room: 'general' })!)).toMatchObject({
        type: 'error',
        code: 'forbidden',
        re: 'join_channel',
        channel_id: 'general',
      });
      expect(channelsCodec.read('{"type":"leave_channel","channel_id":"general"}')).toEqual({ type: 'leave_channel', command: { kind: 'leave', room: 'general' } });
    });
  });
});
