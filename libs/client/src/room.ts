import { Emitter } from './emitter';
import type { ChannelMemberFrame, MemberFrame, MessageFrame, PresenceFrame, UserListFrame } from './frames';
import type { Published } from './outbox';
import type { Gap } from './resume';

export interface RoomEvents {
  /** A message in the room: once each, in order, through reconnects (unless `gap` says some are missing). */
  message: [MessageFrame];
  /** Someone else entered the room. */
  join: [MemberFrame | ChannelMemberFrame];
  /** Someone else left the room. */
  leave: [MemberFrame | ChannelMemberFrame];
  /** Every membership change of others (`join` and `leave` both). */
  presence: [PresenceFrame];
  /** Messages the server could not replay after a reconnect (or an outage it could not bridge). */
  gap: [Gap];
}

/** What a Room asks of its client. */
export interface RoomHost {
  join(room: string): Promise<UserListFrame | ChannelMemberFrame>;
  leave(room: string): Promise<void>;
  publish(room: string, content: string): Promise<Published>;
}

/**
 * One room (or channel) of a client: `client.room(name)`. Join it, publish to it, and hear
 * what happens in it; it stays joined through reconnects, resumed from the last message
 * passed on.
 */
export class Room extends Emitter<RoomEvents> {
  constructor(
    readonly name: string,
    private readonly host: RoomHost,
  ) {
    super();
  }

  /** Joins (the client connects first if it has to); resolves on the server's confirmation, rejects with a SwitchboardError. */
  join(): Promise<UserListFrame | ChannelMemberFrame> {
    return this.host.join(this.name);
  }

  leave(): Promise<void> {
    return this.host.leave(this.name);
  }

  /**
   * Publishes `content`; resolves once, when the server has it in the room's history (its
   * `offset`). Queued while disconnected and sent again after a reconnect with the same id,
   * so it reaches the room exactly once. Rejects with a SwitchboardError: `queue_full`,
   * `message_too_big`, `timeout` (`publishTimeoutMs`), `not_in_room`, or the client's failure.
   */
  publish(content: string): Promise<Published> {
    return this.host.publish(this.name, content);
  }

  /** @internal Passes on an event of this room. */
  deliver<K extends keyof RoomEvents>(event: K, ...args: RoomEvents[K]): void {
    this.emit(event, ...args);
  }
}
