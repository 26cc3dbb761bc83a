import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findUp } from '../http/find-up';
import { text } from '../http/validation';

/**
 * NIST SP 800-63B passwords: 8 to 128 characters, any characters, no composition rules
 * (a long passphrase without digits is fine), and not one of the most common passwords.
 */
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;

let common: Set<string> | undefined;

/** Whether `password` is on the bundled list of common passwords (case-insensitive). */
export function isCommonPassword(password: string): boolean {
  common ??= loadList();
  return common.has(password.toLowerCase());
}

function loadList(): Set<string> {
  const file = findUp(__dirname, join('apps', 'api', 'assets', 'common-passwords.txt'));
  const lines = readFileSync(file, 'utf8').split('\n');
  return new Set(lines.filter((line) => line !== '' && !line.startsWith('#')));
}

/** The schema of a new password. */
export function newPassword() {
  return text({ min: PASSWORD_MIN, max: PASSWORD_MAX }).refine((p) => !isCommonPassword(p), {
    message: 'is too common: it is on the list of most used passwords; choose another (a few unrelated words work well)',
  });
}
