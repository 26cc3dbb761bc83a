import { createPublicKey, createSecretKey } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { Identity } from './identity';

/** Why a credential was refused; the message is safe to show to the client. */
export class AuthError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthError';
  }
}

export interface JwtKeys {
  /** HS256 shared secret. */
  secret?: string;
  /** PEM public key for RS256 / ES256. */
  publicKey?: string;
}

/** What a token must say besides a valid signature and `exp`. */
export interface JwtChecks {
  /** JWT_AUDIENCE: `aud` must name it. */
  audience?: string;
  /** JWT_ISSUER: `iss` must be it. */
  issuer?: string;
  /** JWT_CLOCK_SKEW: how far in the future `iat` may be; later is refused. */
  clockSkewMs?: number;
}

/**
 * Verifies JWTs and maps their claims to an Identity:
 * `sub` → user id; `username` | `preferred_username` | `name` → username; `email`;
 * optional `rooms` (names or `*` patterns); optional `permissions`. `exp` is required and
 * enforced: a token without it would never expire. With an audience or issuer configured,
 * `aud` / `iss` must match; an `iat` further in the future than the clock skew is refused,
 * and so is a header whose `crit` names an extension (none is implemented).
 */
@Injectable()
export class JwtVerifier {
  private readonly jwt: JwtService;
  private readonly algorithms: Array<'HS256' | 'RS256' | 'ES256'>;
  private readonly skewSeconds: number;

  /**
   * The key is parsed once into a KeyObject here: given a string, jsonwebtoken tries to
   * parse it as a PEM public key on every verify first (a third of a millisecond each).
   */
  constructor(
    keys: JwtKeys,
    private readonly checks: JwtChecks = {},
  ) {
    this.skewSeconds = (checks.clockSkewMs ?? 30_000) / 1000;
    if (keys.publicKey) {
      this.jwt = new JwtService({ publicKey: createPublicKey(keys.publicKey) });
      this.algorithms = ['RS256', 'ES256'];
    } else {
      this.jwt = new JwtService({ secret: createSecretKey(Buffer.from(keys.secret ?? '')) });
      this.algorithms = ['HS256'];
    }
  }

  verify(token: string): Identity {
    let header: Record<string, unknown>;
    let claims: Record<string, unknown>;
    try {
      ({ header, payload: claims } = this.jwt.verify<{ header: Record<string, unknown>; payload: Record<string, unknown> }>(token, {
        algorithms: this.algorithms,
        audience: this.checks.audience,
        issuer: this.checks.issuer,
        complete: true,
      }));
    } catch (err) {
      const { name, message } = err as Error;
      if (name === 'TokenExpiredError') throw new AuthError('token expired');
      if (name === 'NotBeforeError') throw new AuthError('token not yet valid');
      if (message.startsWith('jwt audience invalid')) throw new AuthError('token is for another audience (aud)');
      if (message.startsWith('jwt issuer invalid')) throw new AuthError('token is from another issuer (iss)');
      throw new AuthError('invalid token');
    }
    // RFC 7515 §4.1.11: a token whose `crit` names an extension the recipient does not
    // implement must be refused; this verifier implements none.
    if (header.crit !== undefined) {
      throw new AuthError(`token header "crit" names extensions this server does not implement: ${[header.crit].flat().map(String).join(', ')}`);
    }
    if (typeof claims.exp !== 'number') throw new AuthError('token has no expiry (exp)');
    if (typeof claims.iat === 'number' && claims.iat > Date.now() / 1000 + this.skewSeconds) throw new AuthError('token issued in the future (iat)');
    return identityFromClaims(claims);
  }
}

export function identityFromClaims(claims: Record<string, unknown>): Identity {
  const sub = claims.sub;
  if (typeof sub !== 'string' && typeof sub !== 'number') throw new AuthError('token has no subject (sub)');
  const userId = String(sub);
  const username = firstString(claims.username, claims.preferred_username, claims.name) ?? userId;
  const email = firstString(claims.email);
  const rooms = claims.rooms;
  if (rooms !== undefined && !(Array.isArray(rooms) && rooms.every((r) => typeof r === 'string'))) {
    throw new AuthError('token claim "rooms" must be a list of room names');
  }
  const permissions = claims.permissions;
  if (permissions !== undefined && !(Array.isArray(permissions) && permissions.every((p) => typeof p === 'string'))) {
    throw new AuthError('token claim "permissions" must be a list of strings');
  }
  return {
    userId,
    username,
    email,
    rooms: rooms as string[] | undefined,
    permissions: (permissions as string[] | undefined) ?? [],
    authenticated: true,
    via: 'jwt',
    issuedAt: typeof claims.iat === 'number' ? claims.iat : undefined,
    expiresAt: typeof claims.exp === 'number' ? claims.exp : undefined,
  };
}

function firstString(...values: unknown[]): string | undefined {
  for (const v of values) if (typeof v === 'string' && v !== '') return v;
  return undefined;
}
