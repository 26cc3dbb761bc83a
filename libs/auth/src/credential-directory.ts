/** Who owns an API key, as the api wrote it: enough to build an Identity without a database. */
export interface KeyOwner {
  userId: string;
  username: string;
  email?: string;
  permissions: string[];
}

/** A change every node hears about. */
export type CredentialChange =
  /** JWTs of `userId` issued (`iat`) before `validFrom` (unix seconds) no longer count. */
  | { kind: 'sessions_revoked'; userId: string; validFrom: number }
  /** The API key with this SHA-256 no longer counts (regenerated). */
  | { kind: 'key_revoked'; userId: string; keyHash: string };

export type CredentialListener = (change: CredentialChange) => void;

/**
 * Where the api publishes credential state for processes without a database (the gateways):
 * API key hashes → their owner, and per user the time from which sessions (JWTs) are valid.
 * Only the api writes; every node reads.
 *
 * Guarantees, for every implementation (the contract suite checks each):
 * - Once `putKey` resolves, `findKey` of that hash finds its owner on every node; with
 *   `replaces`, the replaced hash finds nobody on any node.
 * - Once `revokeSessions` resolves, `revocations()` on every node includes it. A user's
 *   `validFrom` only moves forward. Entries older than the retention given at construction
 *   (the longest a token lives) are left out.
 * - Every change (a replaced key, a revocation) reaches the listeners of every started node,
 *   the writer's included, asynchronously. After a lost connection a node reconnects by
 *   itself and hands its listeners every revocation within the retention again (of sessions
 *   and of replaced keys), so nothing missed stays missed (listeners must treat repeats as
 *   no-ops).
 * - Once `putKey` resolves, `isRegistered(owner.userId)` is true on every node: a user the
 *   api registered (every user has a key) is known as registered, so a guest can never take
 *   that id nor receive what is addressed to it. For an id nobody registered it is false
 *   while `keysLoaded()` is, and undefined (cannot tell) while it is not: the store may have
 *   lost its users, which the writer then puts back with every key.
 * - `findKey` and `isRegistered` reject when the store is unreachable (the caller answers "try again").
 * - `keysLoaded()` is true once `markKeysLoaded()` was called and the store has not lost its
 *   data since (a Redis restart without persistence): the writer then puts every key back.
 */
export interface CredentialDirectory {
  /** Starts hearing changes; resolves once changes made after it will reach the listeners. */
  start(): Promise<void>;
  watch(listener: CredentialListener): void;
  findKey(keyHash: string): Promise<KeyOwner | undefined>;
  putKey(keyHash: string, owner: KeyOwner, replaces?: string): Promise<void>;
  /** Whether the api registered a user of this id (one store read); undefined while the store may lack users (not `keysLoaded`). */
  isRegistered(userId: string): Promise<boolean | undefined>;
  revokeSessions(userId: string, validFrom: number): Promise<void>;
  /** The writer put every key in; `keysLoaded()` is true until the store loses its data. */
  markKeysLoaded(): Promise<void>;
  keysLoaded(): Promise<boolean>;
  /** userId → validFrom (unix seconds) of every revocation within the retention. */
  revocations(): Promise<Map<string, number>>;
  close(): Promise<void>;
}

/** Injection token for the CredentialDirectory. */
export const CREDENTIAL_DIRECTORY = Symbol('CREDENTIAL_DIRECTORY');
