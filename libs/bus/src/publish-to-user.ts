import { GUEST_ID_PREFIX, type HubEvent, Topics } from '@switchboard/protocol';
import type { Bus } from './bus';

/** Who may be reached as a guest of a user id. */
export interface UserRouting {
  /** WEBSOCKET_GUEST_ID_NAMESPACE: every guest id is `guest:<id>`, and only such ids reach guests. */
  guestIdNamespace: boolean;
  /** Whether the api registered a user of this id (the credential directory); rejects when it cannot tell. */
  isRegistered(userId: string): Promise<boolean>;
}

/**
 * Publishes an event for every connection of `userId`; resolves how many replicas got it (0:
 * nobody received it). With guest ids in their own namespace a `guest:` id reaches that guest
 * and any other id only the authenticated user. Otherwise (seed 002) the authenticated user
 * of that id if any replica holds one, else a guest who named itself so with `?user_id=` —
 * but never when the id is a registered user's: what is addressed to a registered user never
 * reaches a guest, online or not.
 */
export async function publishToUser(bus: Bus, userId: string, event: HubEvent, routing: UserRouting): Promise<number> {
  if (routing.guestIdNamespace) {
    return bus.publish(userId.startsWith(GUEST_ID_PREFIX) ? Topics.guest(userId) : Topics.user(userId), event);
  }
  const n = await bus.publish(Topics.user(userId), event);
  if (n > 0 || (await routing.isRegistered(userId))) return n;
  return bus.publish(Topics.guest(userId), event);
}
