import type { ConnectionRegistry } from '../transport/connection-registry';

/**
 * What this replica has local interest in, as the cluster node reads it to keep its bus
 * subscriptions and presence entries: its connections (each with its rooms), and whether a
 * room or a user (by user topic) still has a local connection. The hub's local index provides it.
 */
export interface LocalInterest extends ConnectionRegistry {
  hasRoom(room: string): boolean;
  hasUser(userTopic: string): boolean;
}

/** Injection token for the LocalInterest. */
export const LOCAL_INTEREST = Symbol('LOCAL_INTEREST');
