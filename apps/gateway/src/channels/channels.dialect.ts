import { channelsCodec, isRoomName } from '@switchboard/protocol';
import type { Dialect } from '../transport/dialect';
import { ChannelsGateway } from './channels.gateway';

/** The channels dialect (seed 003): `/api/v1/ws?channel_id=...`, JWT required. */
export const channelsDialect: Dialect = {
  name: 'channels',
  path: '/api/v1/ws',
  gateway: ChannelsGateway,
  codec: channelsCodec,
  styles: { channel: channelsCodec },
  credential: { required: true, apiKey: true },
  match(path, query) {
    if (path !== '/api/v1/ws') return undefined;
    const channel = query.get('channel_id');
    if (channel === null || channel === '') return {};
    if (!isRoomName(channel)) return { bad: 'invalid channel_id: use 1-128 letters, digits or _ - . : @ #' };
    return { room: channel, style: 'channel' };
  },
};
