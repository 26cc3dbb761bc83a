/**
 * Whether the cluster side of this replica can take connections now (its message bus is up).
 * The cluster node provides it; the transport asks before every upgrade and never sees the bus.
 */
export interface ClusterReadiness {
  isReady(): boolean;
  /**
   * Counts a connection of `userId` against WEBSOCKET_MAX_CONNECTIONS_PER_USER across the
   * cluster (presence): false when the user is at `cap`; check and count are one step.
   * Rejects when presence is down.
   */
  countUserConnection(userId: string, connectionId: string, cap: number): Promise<boolean>;
  /** That connection is gone (logged, never thrown, when presence is down). */
  uncountUserConnection(userId: string, connectionId: string): void;
}

/** Injection token for the ClusterReadiness. */
export const CLUSTER_READINESS = Symbol('CLUSTER_READINESS');
