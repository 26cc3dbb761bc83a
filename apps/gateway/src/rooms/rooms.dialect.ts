import { isRoomName, roomsChatCodec, roomsHubCodec } from '@switchboard/protocol';
import type { Dialect, RouteParams } from '../transport/dialect';
import { RoomsGateway } from './rooms.gateway';

/** The rooms dialect (seeds 001 and 002): `/ws`, `/ws/{room}`. */
export const roomsDialect: Dialect = {
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
export const roomsAuthDialect: Dialect = {
  ...roomsDialect,
  name: 'rooms-auth',
  credential: { required: true, apiKey: true },
  match(path) {
    if (path === '/ws/auth') return {};
    const parts = path.split('/'); // ['', 'ws', 'auth', room]
    return parts.length === 4 && parts[1] === 'ws' && parts[2] === 'auth' ? roomOnConnect(parts[3]) : undefined;
  },
};

function roomOnConnect(encoded: string): RouteParams | undefined {
  let room: string;
  try {
    room = decodeURIComponent(encoded);
  } catch {
    return undefined;
  }
  return isRoomName(room) ? { room, style: 'chat' } : undefined;
}
