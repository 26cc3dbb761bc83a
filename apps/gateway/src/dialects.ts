import { channelsDialect } from './channels/channels.dialect';
import { roomsAuthDialect, roomsDialect } from './rooms/rooms.dialect';
import { signalingDialect } from './signaling/signaling.dialect';
import type { Dialect } from './transport/dialect';

/**
 * Every dialect the gateway speaks, most specific path first. A dialect is one folder (its
 * entry, gateway and services); adding one is adding its entry here.
 */
export const DIALECTS: readonly Dialect[] = [roomsAuthDialect, roomsDialect, channelsDialect, signalingDialect];
