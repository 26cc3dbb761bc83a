/** A stored user. Hashes are opaque to the store: callers hash, the store compares. */
export interface UserRecord {
  id: string;
  /** As registered (case kept); unique without regard to case. */
  username: string;
  email?: string;
  passwordHash: string;
  apiKeyHash: string;
  /** E.g. `broadcast` for server-side publish. Empty when none. */
  permissions: string[];
  createdAt: Date;
}

/** What `UserStore.create` needs; the store picks the id. */
export interface NewUser {
  username: string;
  email?: string;
  passwordHash: string;
  apiKeyHash: string;
  permissions?: string[];
}

/**
 * Users and their credentials (hashed by the caller, never here).
 *
 * Guarantees, for every implementation:
 * - Usernames are unique regardless of case: `create` rejects with
 *   `DuplicateUsernameError` when `alice` exists and `Alice` registers, even when both
 *   register at the same moment on different processes. `findByUsername` ignores case too.
 * - An email belongs to at most one user, regardless of case: `create` rejects with
 *   `DuplicateEmailError` when another user has it, under the same race guarantee (when
 *   both the username and the email clash, either error may come). Users without an email
 *   never clash.
 * - Every write is visible to every later read, on any process, once its promise resolves:
 *   after `setApiKeyHash` resolves the old hash finds nobody, at once.
 * - Lookups that find nothing resolve `undefined`; they never throw for an unknown or
 *   oddly shaped id.
 * - Setters resolve the updated user, or `undefined` when the id is unknown.
 */
export interface UserStore {
  create(user: NewUser): Promise<UserRecord>;
  findById(id: string): Promise<UserRecord | undefined>;
  findByUsername(username: string): Promise<UserRecord | undefined>;
  /** The user whose current API key hashes to `apiKeyHash`. */
  findByApiKeyHash(apiKeyHash: string): Promise<UserRecord | undefined>;
  /** Replaces the API key: the previous hash stops matching when this resolves. */
  setApiKeyHash(id: string, apiKeyHash: string): Promise<UserRecord | undefined>;
  setPasswordHash(id: string, passwordHash: string): Promise<UserRecord | undefined>;
  /** Every user (the api publishes their API key hashes to the credential directory at start). */
  all(): Promise<UserRecord[]>;
}

/** Injection token for the UserStore. */
export const USER_STORE = Symbol('USER_STORE');
