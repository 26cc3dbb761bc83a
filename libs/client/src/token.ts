/** A credential: a JWT, or a function the client asks for a fresh one before every (re)connect and ahead of `exp`. */
export type TokenSource = string | (() => string | Promise<string>);

/** A JWT's `exp` (unix seconds), read without verifying it; undefined when it has none or is no JWT. */
export function tokenExpiry(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/');
    const json = decodeURIComponent(
      Array.from(atob(base64.padEnd(base64.length + ((4 - (base64.length % 4)) % 4), '=')), (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join(''),
    );
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp : undefined;
  } catch {
    return undefined;
  }
}

/**
 * How long to wait before refreshing a token that expires at `exp` (unix seconds): a quarter
 * of its remaining life ahead of `exp`, at least 1 s and at most 30 s ahead.
 */
export function refreshDelay(exp: number, nowMs: number): number {
  const left = exp * 1000 - nowMs;
  const ahead = Math.min(30_000, Math.max(1_000, left / 4));
  return Math.max(0, left - ahead);
}
