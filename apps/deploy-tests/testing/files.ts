import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** The repository root. */
export const ROOT = join(__dirname, '..', '..', '..');

export const repoPath = (...parts: string[]) => join(ROOT, ...parts);
export const readRepoFile = (...parts: string[]) => readFileSync(repoPath(...parts), 'utf8');
export const repoFileExists = (...parts: string[]) => existsSync(repoPath(...parts));

/** Every file under `dir` (repo-relative, `/`-separated), skipping node_modules, .git and dist. */
export function walk(dir = ''): string[] {
  const out: string[] = [];
  const visit = (abs: string) => {
    for (const name of readdirSync(abs)) {
      if (name === 'node_modules' || name === '.git' || (abs === ROOT && name === 'dist')) continue;
      const child = join(abs, name);
      if (statSync(child).isDirectory()) visit(child);
      else out.push(relative(ROOT, child).split('\\').join('/'));
    }
  };
  visit(repoPath(dir));
  return out;
}

/**
 * `node dist/apps/<app>/main.js` (as Dockerfile, compose and k8s start it) → the TypeScript
 * entry it is compiled from, so a typo in a command is caught without a build.
 */
export function entrySource(command: readonly string[]): string | undefined {
  const script = command.find((part) => /^dist\/.+\.js$/.test(part));
  return script?.replace(/^dist\//, '').replace(/\.js$/, '.ts');
}

/** The public paths of the edge, by where they must go (SPEC "Wire dialects", "REST"). */
export const ROUTES = {
  gateway: ['/ws', '/ws/lobby', '/ws/auth', '/ws/auth/lobby', '/api/v1/ws', '/signaling', '/sse/ws/lobby', '/sse/api/v1/ws', '/sse/signaling', '/sse/session/abc'],
  api: [
    '/',
    '/auth/register',
    '/auth/login',
    '/auth/regenerate',
    '/auth/newpassword',
    '/auth/me',
    '/api/v1/messages',
    '/api/v1/messages/42',
    '/api/v1/channels/general/messages',
    '/api/v1/ws/stats',
    '/api/v1/rooms',
    '/api/v1/rooms/lobby/clients',
    '/api/v1/rooms/lobby/broadcast',
    '/api/v1/users/u-1/messages',
    '/broadcast',
  ],
  /** Not published by the edge: scraped / probed on the pods directly. */
  none: ['/metrics', '/health/live', '/health/ready', '/wsx', '/signalingx', '/ssex'],
} as const;

export type Destination = keyof typeof ROUTES;
