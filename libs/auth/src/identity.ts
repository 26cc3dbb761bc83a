/** Who is on a connection or a request. Authenticated identities come only from a credential. */
export interface Identity {
  userId: string;
  username: string;
  email?: string;
  /** Room names or `*` patterns this identity may join; undefined allows every room. */
  rooms?: string[];
  /** Permissions such as `broadcast`. */
  permissions: readonly string[];
  /** True when a verified credential established this identity; false for a guest (no credential). */
  authenticated: boolean;
  /** Which credential: a JWT or an API key. */
  via?: 'jwt' | 'api_key';
  /** A JWT's `iat` (unix seconds): sessions revoked after it end this identity. */
  issuedAt?: number;
  /** A JWT's `exp` (unix seconds): a connection it opened closes then (4003) unless refreshed. */
  expiresAt?: number;
  /** The SHA-256 of the API key: replacing the key ends this identity. */
  keyHash?: string;
}

export const Permission = {
  /** May send the `broadcast` frame and use server-side publish. */
  Broadcast: 'broadcast',
} as const;

export function can(identity: Identity, permission: string): boolean {
  return identity.permissions.includes(permission);
}
