/** Who is on a connection or a request. Authenticated identities come only from a credential. */
export interface Identity {
  userId: string;
  username: string;
  email?: string;
  /** Room names or `*` patterns this identity may join; undefined allows every room. */
  rooms?: string[];
  /** Permissions such as `broadcast`. */
  permissions: readonly string[];
  /** True when a verified credential established this identity. */
  authenticated: boolean;
}

export const Permission = {
  /** May send the `broadcast` frame and use server-side publish. */
  Broadcast: 'broadcast',
} as const;

export function can(identity: Identity, permission: string): boolean {
  return identity.permissions.includes(permission);
}
