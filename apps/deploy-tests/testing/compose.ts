import { readRepoFile } from './files';
import { parseYaml } from './yaml';

export interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  environment?: Record<string, string | number | boolean | null> | string[];
  healthcheck?: { test: string[] | string; interval?: string; timeout?: string; retries?: number; start_period?: string };
  depends_on?: string[] | Record<string, { condition?: string }>;
  ports?: Array<string | { target: number; published?: string | number }>;
  volumes?: Array<string | { type?: string; source?: string; target: string; read_only?: boolean }>;
  stop_grace_period?: string;
  [key: string]: unknown;
}

export interface ComposeFile {
  name?: string;
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/**
 * Docker Compose variable interpolation: `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
 * `${VAR:?error}`, `${VAR?error}`, `$VAR` and `$$` (a literal `$`). A missing required
 * variable throws with compose's message, which names it.
 */
export function interpolate(text: string, env: Record<string, string | undefined>): string {
  return text.replace(/\$(\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])((?:[^{}]|\{[^{}]*\})*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g, (_m, dollar, name, op, arg, bare) => {
    if (dollar === '$') return '$';
    if (bare !== undefined) return env[bare] ?? '';
    const value = env[name as string];
    const unset = value === undefined;
    const empty = unset || value === '';
    switch (op as string | undefined) {
      case undefined:
        return value ?? '';
      case ':-':
        return empty ? interpolate(arg, env) : value!;
      case '-':
        return unset ? interpolate(arg, env) : value!;
      case ':?':
        if (empty) throw new Error(`required variable ${name} is missing a value: ${arg}`);
        return value!;
      case '?':
        if (unset) throw new Error(`required variable ${name} is missing a value: ${arg}`);
        return value!;
      case ':+':
        return empty ? '' : interpolate(arg, env);
      case '+':
        return unset ? '' : interpolate(arg, env);
      default:
        throw new Error(`unsupported interpolation ${op}`);
    }
  });
}

/** Interpolates every string (values, not keys) of a parsed compose document. */
export function interpolateDeep<T>(value: T, env: Record<string, string | undefined>): T {
  if (typeof value === 'string') return interpolate(value, env) as T;
  if (Array.isArray(value)) return value.map((v) => interpolateDeep(v, env)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateDeep(v, env)])) as T;
  }
  return value;
}

/** docker-compose.yml as written (no interpolation). */
export function rawCompose(): ComposeFile {
  return parseYaml(readRepoFile('docker-compose.yml'), 'docker-compose.yml') as ComposeFile;
}

/** docker-compose.yml as `docker compose config` would see it with `env` as the environment / .env file. */
export function loadCompose(env: Record<string, string | undefined>): ComposeFile {
  return interpolateDeep(rawCompose(), env);
}

/** A service's environment as strings (map or `KEY=value` list form). */
export function serviceEnv(service: ComposeService): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((entry) => {
      const i = entry.indexOf('=');
      return i < 0 ? [entry, ''] : [entry.slice(0, i), entry.slice(i + 1)];
    }));
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

export const commandOf = (service: ComposeService): string[] =>
  Array.isArray(service.command) ? service.command : (service.command ?? '').split(/\s+/).filter(Boolean);

export const dependsOn = (service: ComposeService): Record<string, string | undefined> =>
  Array.isArray(service.depends_on)
    ? Object.fromEntries(service.depends_on.map((name) => [name, undefined]))
    : Object.fromEntries(Object.entries(service.depends_on ?? {}).map(([name, d]) => [name, d.condition]));

/** Services started from the Switchboard image with `node dist/apps/<app>/main.js`. */
export function appServices(compose: ComposeFile, app: 'gateway' | 'api' | 'standalone'): string[] {
  return Object.entries(compose.services)
    .filter(([, s]) => commandOf(s).includes(`dist/apps/${app}/main.js`))
    .map(([name]) => name)
    .sort();
}
