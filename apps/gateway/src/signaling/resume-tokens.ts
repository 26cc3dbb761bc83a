import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Identity } from '@switchboard/auth';

/** What a resume token says: the peer, and the credential it was issued to. */
export interface ResumeClaim {
  clientId: string;
  userId: string;
  /** A JWT's `iat` (sessions revoked since end the resume too). */
  issuedAt?: number;
  /** The SHA-256 of the API key it was issued to (a replaced key cannot resume). */
  keyHash?: string;
}

/**
 * Signaling resume tokens: opaque to clients, signed with a key derived from JWT_SECRET (so
 * every replica checks what any replica issued), bound to the peer's id and its credential.
 * A token does not expire by itself: the peer's resume window in presence decides.
 */
export class ResumeTokens {
  private readonly key: Buffer;

  constructor(secret: string) {
    // A key of its own: a resume token can never pass for a JWT, nor the other way round.
    this.key = createHmac('sha256', secret).update('switchboard signaling resume token v1').digest();
  }

  issue(clientId: string, identity: Identity): string {
    const claim: ResumeClaim = { clientId, userId: identity.userId };
    if (identity.via === 'api_key') claim.keyHash = identity.keyHash;
    else claim.issuedAt = identity.issuedAt;
    const body = Buffer.from(JSON.stringify(claim)).toString('base64url');
    return `${body}.${this.sign(body)}`;
  }

  /** The token's claim, or undefined when it is malformed or not signed by this cluster. */
  read(token: string): ResumeClaim | undefined {
    const dot = token.indexOf('.');
    if (dot < 0) return undefined;
    const body = token.slice(0, dot);
    const given = Buffer.from(token.slice(dot + 1), 'base64url');
    const expected = Buffer.from(this.sign(body), 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    try {
      const claim = JSON.parse(Buffer.from(body, 'base64url').toString()) as ResumeClaim;
      return typeof claim.clientId === 'string' && typeof claim.userId === 'string' ? claim : undefined;
    } catch {
      return undefined;
    }
  }

  private sign(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}
