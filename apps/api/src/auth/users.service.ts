import { Authenticator } from '../../../../libs/auth/src';
import { ConflictException, Inject, Injectable, NotFoundException, UnauthorizedException } from '@nestjs/common';
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
  constructor(
    @Inject(USER_STORE) private readonly users: UserStore,
    private readonly passwords: PasswordHasher,
    private readonly tokens: TokenService,
    private readonly credentials: CredentialsService,
    private readonly auth: Authenticator,
  ) {}

  async register(username: string, password: string, email?: string): Promise<{ user_id: string; api_key: string }> {
    const apiKey = newApiKey();
    try {
      const user = await this.users.create({ username, email, passwordHash: await this.passwords.hash(password), apiKeyHash: hashApiKey(apiKey) });
      await this.auth.publishKey(user.apiKeyHash, this.credentials.ownerOf(user));
      return { user_id: user.id, api_key: apiKey };
    } catch (err) {
      if (err instanceof DuplicateUsernameError) throw new ConflictException(`username "${username}" is taken`);
      throw err;
    }
  }

  async login(username: string, password: string): Promise<{ access_token: string; token_type: 'Bearer'; expires_in: number }> {
    const user = await this.users.findByUsername(username);
    // Same answer and similar time for an unknown user and a wrong password.
    const ok = user ? await this.passwords.verify(password, user.passwordHash) : await this.passwords.hash(password).then(() => false);
    if (!user || !ok) throw new UnauthorizedException('wrong username or password');
    return { access_token: this.tokens.issue(user, this.credentials.permissionsOf(user)), token_type: 'Bearer', expires_in: this.tokens.ttlSeconds };
  }

  /** The old key stops counting on the gateways (directory) before the new one is stored, so a failure never leaves it valid there. */
  async regenerate(userId: string): Promise<{ api_key: string }> {
    const user = await this.get(userId);
    const apiKey = newApiKey();
    const keyHash = hashApiKey(apiKey);
    await this.auth.publishKey(keyHash, this.credentials.ownerOf(user), user.apiKeyHash);
    if (!(await this.users.setApiKeyHash(userId, keyHash))) throw new NotFoundException('user no longer exists');
    return { api_key: apiKey };
  }

  async changePassword(userId: string, oldPassword: string, newPassword: string): Promise<void> {
    const user = await this.get(userId);
    if (!(await this.passwords.verify(oldPassword, user.passwordHash))) throw new UnauthorizedException('old password is wrong');
    await this.users.setPasswordHash(userId, await this.passwords.hash(newPassword));
    // Every JWT issued so far stops counting, here and on every gateway (whose open connections close with 4001).
    await this.auth.revokeSessions(userId);
  }

  /** Publishes every user's API key to the credential directory (at start: it may be new or have lost its data). */
  async publishAllKeys(): Promise<number> {
    const users = await this.users.all();
    for (const user of users) await this.auth.publishKey(user.apiKeyHash, this.credentials.ownerOf(user));
    return users.length;
  }

  async get(userId: string): Promise<UserRecord> {
    const user = await this.users.findById(userId);
    if (!user) throw new NotFoundException('user no longer exists');
    return user;
  }
}
