import { channelsCodec, isRoomName, roomsChatCodec, roomsHubCodec, SIGNALING_STYLE, signalingCodec } from '@switchboard/protocol';
import { ChannelsGateway } from '../channels/channels.gateway';
import { RoomsGateway } from '../rooms/rooms.gateway';
import { SignalingGateway } from '../signaling/signaling.gateway';
import type { Dialect, RouteParams } from './dialect';

/** The rooms dialect (seeds 001 and 002): `/ws`, `/ws/{room}`, `/ws/auth`, `/ws/auth/{room}`. */
const rooms: Dialect = {
  name: 'rooms',
  path: '/ws',
  gateway: RoomsGateway,
  codec: roomsChatCodec,
  styles: { chat: roomsChatCodec, hub: roomsHubCodec },
  credential: { required: false, apiKey: true },
  match(path) {
    if (path === '/ws') return {};
    const parts = path.split('/'); // ['', 'ws', room]
    return parts.length === 3 && parts[1] === 'ws' ? roomOnConnect(parts[2]) : undefined;
  },
};

/** `/ws/auth`, `/ws/auth/{room}`: the rooms dialect, always with a credential. */
const roomsAuth: Dialect = {
  ...rooms,
  name: 'rooms-auth',
  credential: { required: true, apiKey: true },
  match(path) {
    if (path === '/ws/auth') return {};
    const parts = path.split('/'); // ['', 'ws', 'auth', room]
    return parts.length === 4 && parts[1] === 'ws' && parts[2] === 'auth' ? roomOnConnect(parts[3]) : undefined;
  },
};

/** The channels dialect (seed 003): `/api/v1/ws?channel_id=...`, JWT required. */
const channels: Dialect = {
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

/** The signaling dialect (seed 004): `/signaling`, an API key (seed 004's credential) or a JWT required. */
const signaling: Dialect = {
  name: 'signaling',
  path: '/signaling',
  gateway: SignalingGateway,
  codec: signalingCodec,
  styles: { [SIGNALING_STYLE]: signalingCodec },
  credential: { required: true, apiKey: true },
  maxMessageSize: (config) => config.ws.signalingMaxMessageSize,
  match: (path) => (path === '/signaling' ? {} : undefined),
};

/** Every dialect the gateway speaks, most specific path first. */
export const DIALECTS: readonly Dialect[] = [roomsAuth, rooms, channels, signaling];

function roomOnConnect(encoded: string): RouteParams | undefined {
  let room: string;
  try {
    room = decodeURIComponent(encoded);
  } catch {
    return undefined;
  }
  return isRoomName(room) ? { room, style: 'chat' } : undefined;
}
