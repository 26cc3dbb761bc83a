import type { IncomingMessage } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { Authenticator, AuthError, cookieOriginAllowed, findApiKey, findToken, type Identity, type KeyOwner, Permission, requestScheme } from '@switchboard/auth';
import { CONFIG, type SwitchboardConfig } from '@switchboard/config';
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
 * API keys are looked up by their hash, so a regenerated key stops working at once; JWTs are
 * checked against the session revocations too (a password change ends older tokens).
 * A browser sends the cookie with requests any site makes (a cross-site form post), so a
 * cookie counts only from an allowed origin (WEBSOCKET_ALLOWED_ORIGINS; with `*`, this
 * server's own host and scheme), as on the gateway.
 */
@Injectable()
export class CredentialsService {
  private readonly serviceUsers: Set<string>;
  private readonly allowedOrigins: readonly string[];
  private readonly trustProxy: boolean;

  constructor(
    private readonly auth: Authenticator,
    @Inject(USER_STORE) private readonly users: UserStore,
    @Inject(CONFIG) config: SwitchboardConfig,
  ) {
    this.serviceUsers = new Set(config.api.serviceUsers.map((u) => u.toLowerCase()));
    this.allowedOrigins = config.ws.allowedOrigins;
    this.trustProxy = config.trustProxy;
  }

  /** Resolves the principal, undefined when the request has no credential; throws AuthError on a bad one. */
  async authenticate(req: Pick<IncomingMessage, 'headers' | 'socket'>, query: URLSearchParams): Promise<Principal | undefined> {
    const { headers } = req;
    const apiKey = findApiKey(headers, query);
    if (apiKey !== undefined) {
      const user = await this.users.findByApiKeyHash(hashApiKey(apiKey));
      if (!user) throw new AuthError('invalid API key');
      return { identity: this.identityOf(user), via: 'api_key' };
    }
    const found = findToken(headers, query);
    if (found === undefined) return undefined;
    if (found.source === 'cookie' && !cookieOriginAllowed(this.allowedOrigins, headers.origin, headers.host, requestScheme(req, this.trustProxy))) {
      throw new AuthError('a token cookie counts only from an allowed origin; send the token as Authorization: Bearer');
    }
    return { identity: this.auth.verifyJwt(found.token), via: 'jwt' };
  }

  /** The permissions a stored user holds: their own plus `broadcast` for SERVICE_USERS. */
  permissionsOf(user: UserRecord): string[] {
    const set = new Set(user.permissions);
    if (this.serviceUsers.has(user.username.toLowerCase())) set.add(Permission.Broadcast);
    return [...set];
  }

  identityOf(user: UserRecord): Identity {
    return { userId: user.id, username: user.username, email: user.email, permissions: this.permissionsOf(user), authenticated: true, via: 'api_key' };
  }

  /** What the gateways learn about a key's owner from the credential directory. */
  ownerOf(user: UserRecord): KeyOwner {
    const owner: KeyOwner = { userId: user.id, username: user.username, permissions: this.permissionsOf(user) };
    if (user.email !== undefined) owner.email = user.email;
    return owner;
  }
}
