/**
 * Switchboard's client library. This entry uses the platform's WebSocket and
 * RTCPeerConnection (browsers); in Node the package resolves to `./node`, which installs
 * `ws`, and `werift` once a PeerManager is created. The API is the same in both.
 */
export { Emitter } from './emitter';
export { type Runtime, runtime, setRuntime, toBytes } from './runtime';
export type { IceServer } from './types';
export {
  type Signal,
  SignalingClient,
  type SignalingClientOptions,
  type SignalingCredentials,
  type SignalingCredentialSource,
  SignalingError,
  type SignalingEvents,
  type SignalType,
} from './signaling-client';
export { PeerManager, type PeerData, type PeerManagerEvents, type PeerManagerOptions } from './peer-manager';
export { SwitchboardClient, SwitchboardError } from './switchboard-client';
export type { JoinConfirmation, SwitchboardClientOptions, SwitchboardEvents } from './client-events';
export type {
  AckFrame,
  ChannelMemberFrame,
  ChatMessageFrame,
  ErrorFrame,
  LifecycleFrame,
  Limits,
  LimitsFrame,
  MemberFrame,
  MessageFrame,
  NotificationFrame,
  PongFrame,
  PresenceFrame,
  PrivateMessageFrame,
  RefreshedFrame,
  RoomMessageFrame,
  ServerFrame,
  StreamPosition,
  UserListFrame,
} from './frames';
export { Room, type RoomEvents } from './room';
export type { Published } from './outbox';
export type { Gap } from './resume';
export type { TokenSource } from './token';
export type { UrlSource } from './endpoints';
export type { TransportName } from './transports';
export { type Credential, login, me, newpassword, register, regenerate, type Registered, SwitchboardHttpError } from './auth';
