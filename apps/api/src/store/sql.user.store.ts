import { randomUUID } from 'node:crypto';
import type { Database } from './database';
import { DuplicateEmailError } from './duplicate-email.error';
import { DuplicateUsernameError } from './duplicate-username.error';
import type { NewUser, UserRecord, UserStore } from './user.store';
import { recordOf } from './record-of';

interface UserRow {
  id: string;
  username: string;
  email: string | null;
  password_hash: string;
  api_key_hash: string;
  permissions: string[];
  created_at: Date;
}

const COLUMNS = 'id, username, email, password_hash, api_key_hash, permissions, created_at';
/** The unique index that makes usernames case-insensitive (migration 1). */
const USERNAME_INDEX = 'users_username_lower_key';
/** The unique index that gives an email to one user, regardless of case (migration 5). */
const EMAIL_INDEX = 'users_email_lower_key';

/** UserStore over SQL; see `user.store.ts` for its guarantees. */
export class SqlUserStore implements UserStore {
  constructor(private readonly db: Database) {}

  async create(user: NewUser): Promise<UserRecord> {
    try {
      const [row] = await this.db.query<UserRow>(
        `INSERT INTO users (id, username, email, password_hash, api_key_hash, permissions)
         VALUES ($1, $2, $3, $4, $5, $6::text[]) RETURNING ${COLUMNS}`,
        [randomUUID(), user.username, user.email ?? null, user.passwordHash, user.apiKeyHash, user.permissions ?? []],
      );
      return toRecord(row);
    } catch (err) {
      // The index decides, not a prior SELECT: two processes registering at once can't both win.
      const e = err as { code?: string; constraint?: string };
      if (e.code === '23505' && e.constraint === USERNAME_INDEX) throw new DuplicateUsernameError(user.username);
      if (e.code === '23505' && e.constraint === EMAIL_INDEX) throw new DuplicateEmailError(user.email!);
      throw err;
    }
  }

  findById(id: string): Promise<UserRecord | undefined> {
    return this.one(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id]);
  }

  findByUsername(username: string): Promise<UserRecord | undefined> {
    return this.one(`SELECT ${COLUMNS} FROM users WHERE lower(username) = lower($1)`, [username]);
  }

  findByApiKeyHash(apiKeyHash: string): Promise<UserRecord | undefined> {
    return this.one(`SELECT ${COLUMNS} FROM users WHERE api_key_hash = $1`, [apiKeyHash]);
  }

  setApiKeyHash(id: string, apiKeyHash: string): Promise<UserRecord | undefined> {
    return this.one(`UPDATE users SET api_key_hash = $2 WHERE id = $1 RETURNING ${COLUMNS}`, [id, apiKeyHash]);
  }

  setPasswordHash(id: string, passwordHash: string): Promise<UserRecord | undefined> {
    return this.one(`UPDATE users SET password_hash = $2 WHERE id = $1 RETURNING ${COLUMNS}`, [id, passwordHash]);
  }

  async all(): Promise<UserRecord[]> {
    const rows = await this.db.query<UserRow>(`SELECT ${COLUMNS} FROM users ORDER BY created_at`);
    return rows.map(toRecord);
  }

  private async one(sql: string, params: unknown[]): Promise<UserRecord | undefined> {
    const [row] = await this.db.query<UserRow>(sql, params);
    return row ? toRecord(row) : undefined;
  }
}

/** Columns as the record's fields (`created_at` → `createdAt`; NULL → absent). */
const toRecord: (row: UserRow) => UserRecord = recordOf;
