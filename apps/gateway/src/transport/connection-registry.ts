import type { Connection } from './connection';

/**
 * The open connections of this replica, as heartbeat, drain and flow control need them:
 * they walk them, and nothing more. The hub's local index provides it.
 */
export interface ConnectionRegistry {
  /** Connections registered and not yet disconnected. */
  readonly size: number;
  all(): Iterable<Connection>;
}

/** Injection token for the ConnectionRegistry. */
export const CONNECTIONS = Symbol('CONNECTIONS');
