import type { HubEvent } from '../../protocol/src';

/** Called once per delivered event. The event is shared: handlers must not mutate it. */
export type BusHandler = (topic: string, event: HubEvent) => void;

/**
 * The bus carries events between replicas. It never knows about clients: the node
 * registers one handler and the bus calls it for every event on a subscribed topic.
 *
 * Guarantees, for every implementation (the contract suite checks each):
 * - `publish` resolves once the bus has accepted the event and returns how many nodes
 *   were subscribed to the topic (0: nobody listens). It rejects when the bus is down;
 *   then nothing was delivered and the caller may retry.
 * - An accepted event reaches every node subscribed to its topic at that moment,
 *   including the publishing node, exactly once, and never a node that is not subscribed.
 * - Events from one publisher on one topic arrive in publish order.
 * - `subscribe` resolves only when the subscriptions are live: an event published after it
 *   resolves is delivered. Subscribing to a held topic, or unsubscribing from one not
 *   held, does nothing; the node counts its own local interest.
 * - The handler is never called synchronously inside `publish`.
 * - Input from the wire that is not a valid event is dropped, counted and logged at
 *   debug; it never reaches the handler and never throws.
 * - After a lost connection the bus reconnects and re-subscribes every held topic by
 *   itself; `isReady()` is false until the subscriptions are live again.
 */
export interface Bus {
  /** Random per start: tells this node's traffic apart from other replicas'. */
  readonly nodeId: string;
  setHandler(handler: BusHandler): void;
  publish(topic: string, event: HubEvent): Promise<number>;
  /** Subscribes to several topics in one round trip. */
  subscribe(topics: readonly string[]): Promise<void>;
  unsubscribe(topics: readonly string[]): Promise<void>;
  /** Topics this node holds. */
  topics(): ReadonlySet<string>;
  /** How many nodes are subscribed to `topic` now, cluster-wide. Rejects when the bus is down. */
  listeners(topic: string): Promise<number>;
  /** True while publishing works and every held subscription is live. */
  isReady(): boolean;
  close(): Promise<void>;
}

/** Injection token for the Bus. */
export const BUS = Symbol('BUS');
