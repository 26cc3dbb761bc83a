import { randomBytes } from 'node:crypto';

export { hashApiKey } from '@switchboard/auth';

/** API keys: 32 random bytes, shown once; only their SHA-256 is stored (libs/auth `hashApiKey`). */
export function newApiKey(): string {
  return `sb_${randomBytes(32).toString('base64url')}`;
}
