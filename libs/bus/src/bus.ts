import type { HubEvent, StreamPosition } from '@switchboard/protocol';

/** Called once per delivered event. The event is shared: handlers must not mutate it. */
export type BusHandler = (topic: string, event: HubEvent) => void;

/**
 * The bus carries events between replicas. It never knows about clients: the node
 * registers one handler and the bus calls it for every event on a subscribed topic.
 *
 * Guarantees, for every implementation (the contract suite checks each):
 * - `publish` resolves once the bus has accepted the event and returns how many nodes
 *   were subscribed to the topic (0: nobody listens). It rejects when the bus is down;
 *   then nothing was delivered and the caller may retry — except with `PublishUnconfirmed`:
 *   the bus took the event but did not answer in time, so it may still be delivered (a
 *   retry through `publishOnce` with the same key cannot publish it twice).
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
 *
 * History (when `HistoryOptions.size` > 0): every publication to a room topic that
 * `isKept` (chat, room broadcasts, lifecycle events; not join/leave notices) is appended to
 * the room's history and published in one atomic step, and is delivered carrying `offset`
 * (+1 per kept publication in that room, from 1) and `epoch` (names the room's history).
 * - The history keeps the last `size` publications of a room, for `ttlMs` after the room's
 *   last publication. When it is lost (expired, or the store restarted empty) the next
 *   publication or read starts a new epoch and offsets start again from 1.
 * - `history(topic, since)` reads what was published after `since` in one read, in order,
 *   with the room's current position; `recovered` is false (and nothing is returned) when
 *   `since` names another epoch, lies beyond the current offset, or is older than what is kept.
 * - The position of a room with no history (offset 0) resumes into the history begun after
 *   it was read, from its first publication, when no earlier history can have come and gone
 *   in between; past the ttl, `recovered` is false. Reading it stores nothing (Redis: no key).
 */
export interface Bus {
  /** Random per start: tells this node's traffic apart from other replicas'. */
  readonly nodeId: string;
  setHandler(handler: BusHandler): void;
  publish(topic: string, event: HubEvent): Promise<number>;
  /**
   * Publishes a kept room event at most once per `once.key` within `once.windowMs`, whichever
   * node is asked: the first call appends and publishes it as `publish` does; a repeat within
   * the window publishes nothing. The check, the append and the publish are one atomic step
   * (Redis: one script). Resolves where the event stands in the room's history — the first
   * call's position for a repeat; undefined while history is off — and whether it was a
   * repeat. Rejects when the bus is down; then nothing was published and nothing remembered.
   */
  publishOnce(topic: string, event: HubEvent, once: PublishOnce): Promise<Published>;
  /** Subscribes to several topics in one round trip. */
  subscribe(topics: readonly string[]): Promise<void>;
  unsubscribe(topics: readonly string[]): Promise<void>;
  /** Topics this node holds. */
  topics(): ReadonlySet<string>;
  /** True while publishing works and every held subscription is live. */
  isReady(): boolean;
  /**
   * The room's current position, and with `since` the kept events published after it.
   * Resolves `undefined` when history is off. Rejects when the bus is down.
   */
  history(topic: string, since?: StreamPosition): Promise<HistoryRead | undefined>;
  close(): Promise<void>;
}

/** Which publication a `publishOnce` is, and for how long repeats of it are recognised. */
export interface PublishOnce {
  /** The key naming the publication (`Topics.publishOnce`). */
  key: string;
  /** How long after the first publication a repeat is still recognised, in ms. */
  windowMs: number;
}

/** What a `publishOnce` did. */
export interface Published {
  /** True when the key was seen within the window: nothing was published this time. */
  repeat: boolean;
  /** The publication's place in the room's history (the first one's, for a repeat); undefined while history is off. */
  position?: StreamPosition;
}

/** What a history read found. */
export interface HistoryRead {
  /** The room's current history. */
  position: StreamPosition;
  /** With `since`: true when `events` is everything after it; false when that is unknown. */
  recovered: boolean;
  /** The kept events after `since`, in offset order (empty without `since` or when not recovered). */
  events: HubEvent[];
  /** When the room's current history began, by the store's clock (ms; Redis: its TIME, the clock an empty epoch `~<run>.<ms>` names); absent with no history. */
  began?: number;
}

/** How much room history the bus keeps; size 0 turns it off. */
export interface HistoryOptions {
  /** Publications kept per room (WEBSOCKET_HISTORY_SIZE). */
  size: number;
  /** How long a room's history lives after its last publication, in ms (WEBSOCKET_HISTORY_TTL). */
  ttlMs: number;
}

export const NO_HISTORY: HistoryOptions = { size: 0, ttlMs: 0 };

/**
 * A publish the bus was sent but did not answer within its command timeout: unlike a bus
 * that is down, it may have been (or may yet be) delivered.
 */
export class PublishUnconfirmed extends Error {
  override readonly name = 'PublishUnconfirmed';
}

/** Injection token for the Bus. */
export const BUS = Symbol('BUS');
