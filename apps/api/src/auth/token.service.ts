import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { Authenticator } from '@switchboard/auth';
import { CONFIG, type SwitchboardConfig } from '@switchboard/config';
import type { UserRecord } from '../store/user.store';

/** Issues the JWTs the gateways accept: `sub`, `username`, `email`, `permissions`, `exp`, and `aud` / `iss` when JWT_AUDIENCE / JWT_ISSUER are set. */
@Injectable()
export class TokenService {
  private readonly jwt = new JwtService();

  constructor(
    @Inject(CONFIG) private readonly config: SwitchboardConfig,
    private readonly auth: Authenticator,
  ) {}

  get ttlSeconds(): number {
    return Math.floor(this.config.api.tokenTtlMs / 1000);
  }

  issue(user: UserRecord, permissions: string[]): string {
    // `iat` decides whether a session revocation (password change) ends the token.
    const claims: Record<string, unknown> = { sub: user.id, username: user.username, iat: this.auth.issueTime(user.id) };
    if (user.email) claims.email = user.email;
    if (permissions.length > 0) claims.permissions = permissions;
    const { jwtPrivateKey, jwtSigningAlgorithm, jwtSecret, jwtAudience, jwtIssuer } = this.config.auth;
    const common = { expiresIn: this.ttlSeconds, ...(jwtAudience && { audience: jwtAudience }), ...(jwtIssuer && { issuer: jwtIssuer }) };
    return jwtPrivateKey
      ? this.jwt.sign(claims, { privateKey: jwtPrivateKey, algorithm: jwtSigningAlgorithm, ...common })
      : this.jwt.sign(claims, { secret: jwtSecret, algorithm: 'HS256', ...common });
  }
}
