import type { OutboxEvent } from './outbox.store';

/** A stored chat message. */
export interface MessageRecord {
  id: string;
  channelId: string;
  userId: string;
  userEmail?: string;
  username: string;
  content: string;
  createdAt: Date;
  /** Set by the last `update`; absent when never edited. */
  updatedAt?: Date;
}

/** What `MessageStore.create` needs; the store picks the id and the timestamps. */
export interface NewMessage {
  channelId: string;
  userId: string;
  userEmail?: string;
  username: string;
  content: string;
  /** The request's Idempotency-Key: a second create with the same key by the same user stores nothing. */
  idempotencyKey?: string;
}

/** What `create` did: the message, and whether it was stored now or by an earlier create with the same key. */
export interface Created {
  record: MessageRecord;
  /** True when an earlier create of this user with this idempotency key stored it: nothing was stored, no event. */
  repeat: boolean;
}

/**
 * Builds the lifecycle event(s) of a change from the stored row, inside the change's
 * transaction: `create` and `update` pass the row as now stored, `delete` the row as it
 * was. Return `[]` for no event. Throwing rolls the change back and the store call
 * rejects with that error, so a check such as "author only" made here is race-free.
 */
export type OutboxEventBuilder = (record: MessageRecord) => OutboxEvent | readonly OutboxEvent[];

/** A page request of `history`. */
export interface HistoryQuery {
  /** Page size, clamped to 1..HISTORY_MAX_LIMIT; missing or not a number: HISTORY_DEFAULT_LIMIT. */
  limit?: number;
  /** Cursor: the id of a message; the page holds only messages strictly older than it. */
  before?: string;
}

export const HISTORY_DEFAULT_LIMIT = 50;
export const HISTORY_MAX_LIMIT = 100;

/**
 * Chat messages, and the lifecycle events their changes publish.
 *
 * Guarantees, for every implementation:
 * - Each write stores its change and its outbox event(s) in one transaction: both or
 *   neither. After commit the caller should `kick()` the OutboxRelay for low latency;
 *   the relay's own timer publishes the event anyway.
 * - `update` and `delete` of an unknown or deleted message change nothing, store no
 *   event, never call the builder, and resolve `undefined`. Changes to one message are
 *   serialised, so its events are stored in the order of its changes.
 * - Deleting is soft: a deleted message is gone for `get`, `update`, `delete` and
 *   `history`, its content is erased, but its id still works as a `before` cursor.
 * - `history` returns a channel's messages newest first, ordered by (createdAt, id)
 *   descending, so messages with equal timestamps still have one fixed order and paging
 *   with `before` = the last id of the previous page neither skips nor repeats any.
 *   A `before` that names no message ever stored gives an empty page.
 * - `create` with an `idempotencyKey` the same user already used stores nothing, stores no
 *   event, never calls the builder and resolves the first message (as stored now, deleted
 *   or not), even when both creates race from different processes.
 * - Authorisation is not the store's job: it stores what it is given.
 */
export interface MessageStore {
  create(message: NewMessage, event: OutboxEventBuilder): Promise<MessageRecord>;
  /** `create` that says whether the message was stored now or by an earlier create with the same key. */
  createOnce(message: NewMessage, event: OutboxEventBuilder): Promise<Created>;
  /** Replaces the content and sets `updatedAt`; resolves the updated message. */
  update(id: string, content: string, event: OutboxEventBuilder): Promise<MessageRecord | undefined>;
  /** Resolves the message as it was before deletion. */
  delete(id: string, event: OutboxEventBuilder): Promise<MessageRecord | undefined>;
  get(id: string): Promise<MessageRecord | undefined>;
  history(channelId: string, query?: HistoryQuery): Promise<MessageRecord[]>;
}

/** Injection token for the MessageStore. */
export const MESSAGE_STORE = Symbol('MESSAGE_STORE');
