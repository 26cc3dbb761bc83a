import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoPath } from './files';

/** Stand-ins for the secrets an operator provides (.env for compose, a Secret for k8s). */
export const TEST_SECRETS = {
  JWT_SECRET: 'deploy-test-secret-0123456789abcdef',
  POSTGRES_PASSWORD: 'deploytestpassword0123',
} as const;

/**
 * Every variable the config loader reads (found in libs/config/src, e.g. `r.duration('NAME'`),
 * plus Node's own. loadConfig ignores unknown names, so a typo such as
 * WEBSOCKET_DRAIN_TIMOUT would otherwise pass silently and keep the default.
 */
export function knownVariables(): Set<string> {
  const dir = repoPath('libs', 'config', 'src');
  const names = new Set(['NODE_ENV', 'NODE_OPTIONS', 'TZ']);
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'))) {
    const text = readFileSync(join(dir, file), 'utf8');
    for (const m of text.matchAll(/\br\.\w+\(\s*'([A-Z][A-Z0-9_]*)'/g)) names.add(m[1]);
  }
  return names;
}
