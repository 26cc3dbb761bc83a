import { type HubEvent, Topics } from '@switchboard/protocol';
import type { Bus } from './bus';

/**
 * Publishes an event for every connection of `userId`: the authenticated user of that id
 * if any replica holds one, else a guest who named itself so with seed 002's `?user_id=`.
 * A guest can thus never read an online user's messages. Resolves how many replicas got it.
 */
export async function publishToUser(bus: Bus, userId: string, event: HubEvent): Promise<number> {
  return (await bus.publish(Topics.user(userId), event)) || bus.publish(Topics.guest(userId), event);
}
