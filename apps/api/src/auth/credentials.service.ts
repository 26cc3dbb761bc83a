import type { IncomingHttpHeaders } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { AuthError, extractToken, type Identity, JwtVerifier, Permission } from '../../../../libs/auth/src';
import { CONFIG, type SwitchboardConfig } from '../../../../libs/config/src';
import { USER_STORE, type UserRecord, type UserStore } from '../store/user.store';
import { hashApiKey } from './api-keys';

/** Who made a request, from a JWT or an API key. */
export interface Principal {
  identity: Identity;
  /** How they proved it. */
  via: 'jwt' | 'api_key';
}

/**
 * Resolves a request's credential: a JWT (`Authorization: Bearer`, `?token=`, `token`
 * cookie) or an API key (`X-API-Key` header, `Authorization: ApiKey <key>`, `?api_key=`).
 * API keys are looked up by their hash, so a regenerated key stops working at once.
 */
@Injectable()
export class CredentialsService {
  private readonly serviceUsers: Set<string>;

  constructor(
    private readonly jwt: JwtVerifier,
    @Inject(USER_STORE) private readonly users: UserStore,
    @Inject(CONFIG) config: SwitchboardConfig,
  ) {
    this.serviceUsers = new Set(config.api.serviceUsers.map((u) => u.toLowerCase()));
  }

  /** Resolves the principal, undefined when the request has no credential; throws AuthError on a bad one. */
  async authenticate(headers: IncomingHttpHeaders, query: URLSearchParams): Promise<Principal | undefined> {
    const apiKey = apiKeyOf(headers, query);
    if (apiKey !== undefined) {
      const user = await this.users.findByApiKeyHash(hashApiKey(apiKey));
      if (!user) throw new AuthError('invalid API key');
      return { identity: this.identityOf(user), via: 'api_key' };
    }
    const token = extractToken(headers, query);
    if (token === undefined) return undefined;
    return { identity: this.jwt.verify(token), via: 'jwt' };
  }

  /** The permissions a stored user holds: their own plus `broadcast` for SERVICE_USERS. */
  permissionsOf(user: UserRecord): string[] {
    const set = new Set(user.permissions);
    if (this.serviceUsers.has(user.username.toLowerCase())) set.add(Permission.Broadcast);
    return [...set];
  }

  identityOf(user: UserRecord): Identity {
    return { userId: user.id, username: user.username, email: user.email, permissions: this.permissionsOf(user), authenticated: true };
  }
}

function apiKeyOf(headers: IncomingHttpHeaders, query: URLSearchParams): string | undefined {
  const header = headers['x-api-key'];
  if (typeof header === 'string' && header !== '') return header;
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = /^ApiKey\s+(\S+)$/i.exec(auth);
    if (m) return m[1];
  }
  return query.get('api_key') ?? undefined;
}
