import { createHash, randomBytes } from 'node:crypto';

/** API keys: 32 random bytes, shown once; only their SHA-256 is stored (they have full entropy, so a fast hash is enough). */
export function newApiKey(): string {
  return `sb_${randomBytes(32).toString('base64url')}`;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}
