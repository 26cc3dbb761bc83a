/**
 * Whether the cluster side of this replica can take connections now (its message bus is up).
 * The cluster node provides it; the transport asks before every upgrade and never sees the bus.
 */
export interface ClusterReadiness {
  isReady(): boolean;
}

/** Injection token for the ClusterReadiness. */
export const CLUSTER_READINESS = Symbol('CLUSTER_READINESS');
