import { Authenticator } from '@switchboard/auth';
import { ConflictException, Inject, Injectable, Logger, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { Metrics } from '@switchboard/observability';
import { DuplicateEmailError } from '../store/duplicate-email.error';
import { DuplicateUsernameError } from '../store/duplicate-username.error';
import { USER_STORE, type UserRecord, type UserStore } from '../store/user.store';
import { hashApiKey, newApiKey } from './api-keys';
import { CredentialsService } from './credentials.service';
import { PasswordHasher } from './password-hasher';
import { TokenService } from './token.service';

/**
 * Accounts: registration, login, API key rotation, password change. Every change to a
 * credential is also written to the credential directory, where the gateways read it.
 */
@Injectable()
export class UsersService {
  private readonly logger = new Logger('Users');
  /** Ends when the running key rotation (or post-publish check) does; see `keyWrite`. */
  private keyWrites: Promise<void> = Promise.resolve();

  constructor(
    @Inject(USER_STORE) private readonly users: UserStore,
    private readonly passwords: PasswordHasher,
    private readonly tokens: TokenService,
    private readonly credentials: CredentialsService,
    private readonly auth: Authenticator,
    private readonly metrics: Metrics,
  ) {}

  /**
   * The user is stored first; if their key then cannot reach the credential directory, they
   * still get it (the api accepts it at once) and the next key check puts every key in again,
   * so the gateways accept it once the directory is back.
   */
  async register(username: string, password: string, email?: string): Promise<{ user_id: string; api_key: string }> {
    const apiKey = newApiKey();
    let user: UserRecord;
    try {
      user = await this.users.create({ username, email, passwordHash: await this.passwords.hash(password), apiKeyHash: hashApiKey(apiKey) });
    } catch (err) {
      if (err instanceof DuplicateUsernameError) throw new ConflictException(`username "${username}" is taken`);
      if (err instanceof DuplicateEmailError) throw new ConflictException('email is already registered to another user');
      throw err;
    }
    try {
      await this.auth.publishKey(user.apiKeyHash, this.credentials.ownerOf(user));
    } catch (err) {
      this.auth.markKeysIncomplete();
      this.metrics.errors.labels('credential_key_publish').inc();
      this.logger.warn({ msg: 'new API key not published to the credential directory; the next key check puts every key in again', userId: user.id, error: (err as Error).message });
    }
    return { user_id: user.id, api_key: apiKey };
  }

  async login(username: string, password: string): Promise<{ access_token: string; token_type: 'Bearer'; expires_in: number }> {
    const user = await this.users.findByUsername(username);
    // Same answer and similar time for an unknown user and a wrong password.
    const ok = user ? await this.passwords.verify(password, user.passwordHash) : await this.passwords.hash(password).then(() => false);
    if (!user || !ok) throw new UnauthorizedException('wrong username or password');
    return { access_token: this.tokens.issue(user, this.credentials.permissionsOf(user)), token_type: 'Bearer', expires_in: this.tokens.ttlSeconds };
  }

  /** The old key stops counting on the gateways (directory) before the new one is stored, so a failure never leaves it valid there. */
  regenerate(userId: string): Promise<{ api_key: string }> {
    return this.rotateKey(userId);
  }

  /**
   * Sessions end (and, with `rotateApiKey`, the API key is replaced) before the new password
   * is stored, so a failure never leaves older credentials valid under a changed password.
   * Resolves the new key when it rotated one.
   */
  async changePassword(userId: string, oldPassword: string, newPassword: string, { rotateApiKey = false } = {}): Promise<{ api_key: string } | undefined> {
    const user = await this.get(userId);
    if (!(await this.passwords.verify(oldPassword, user.passwordHash))) throw new UnauthorizedException('old password is wrong');
    const newHash = await this.passwords.hash(newPassword);
    // Every JWT issued so far stops counting, here and on every gateway (whose open connections close with 4001).
    await this.auth.revokeSessions(userId);
    const rotated = rotateApiKey ? await this.rotateKey(userId) : undefined;
    await this.users.setPasswordHash(userId, newHash);
    return rotated;
  }

  /**
   * Publishes every user's API key to the credential directory (at start: it may be new or
   * have lost its data). The keys come from a snapshot: a key regenerated meanwhile may have
   * been put back by it, so afterwards every user whose key changed since gets their current
   * key again, replacing the snapshot's.
   */
  async publishAllKeys(): Promise<number> {
    const snapshot = await this.users.all();
    for (const user of snapshot) await this.auth.publishKey(user.apiKeyHash, this.credentials.ownerOf(user));
    // Between rotations: none is between its directory write and its database write, so the
    // database holds the key every finished rotation published.
    await this.keyWrite(async () => {
      const published = new Map(snapshot.map((u) => [u.id, u.apiKeyHash]));
      for (const user of await this.users.all()) {
        const put = published.get(user.id);
        if (put !== undefined && put !== user.apiKeyHash) await this.auth.publishKey(user.apiKeyHash, this.credentials.ownerOf(user), put);
      }
    });
    return snapshot.length;
  }

  async get(userId: string): Promise<UserRecord> {
    const user = await this.users.findById(userId);
    if (!user) throw new NotFoundException('user no longer exists');
    return user;
  }

  /** A new API key: the directory drops the old one first, then the store takes the new one. */
  private rotateKey(userId: string): Promise<{ api_key: string }> {
    return this.keyWrite(async () => {
      // Read inside the queue: a rotation that ran meanwhile changed the current hash.
      const user = await this.get(userId);
      const apiKey = newApiKey();
      const keyHash = hashApiKey(apiKey);
      await this.auth.publishKey(keyHash, this.credentials.ownerOf(user), user.apiKeyHash);
      if (!(await this.users.setApiKeyHash(userId, keyHash))) throw new NotFoundException('user no longer exists');
      return { api_key: apiKey };
    });
  }

  /** Runs key rotations and the post-publish check one at a time, in this process. */
  private async keyWrite<T>(write: () => Promise<T>): Promise<T> {
    const previous = this.keyWrites;
    let done!: () => void;
    this.keyWrites = new Promise<void>((resolve) => (done = resolve));
    await previous;
    try {
      return await write();
    } finally {
      done();
    }
  }
}
