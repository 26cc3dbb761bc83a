import { ConfigError } from './config-error';
import { parseDuration } from './duration';

type Env = Record<string, string | undefined>;

/** Typed reads of environment variables; every failure names its variable. */
export class EnvReader {
  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  optional(name: string): string | undefined {
    return this.raw(name);
  }

  int(name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const text = this.raw(name);
    if (text === undefined) return fallback;
    if (!/^\d+$/.test(text)) throw new ConfigError(name, `must be a whole number, got "${text}"`);
    const value = Number(text);
    if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
    return value;
  }

  number(name: string, fallback: number, min = 0): number {
    const text = this.raw(name);
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || value < min) throw new ConfigError(name, `must be a number ≥ ${min}, got "${text}"`);
    return value;
  }

  bool(name: string, fallback: boolean): boolean {
    const text = this.raw(name)?.toLowerCase();
    if (text === undefined) return fallback;
    if (['true', '1', 'yes', 'on'].includes(text)) return true;
    if (['false', '0', 'no', 'off'].includes(text)) return false;
    throw new ConfigError(name, `must be true or false, got "${text}"`);
  }

  /** A duration in milliseconds (`10s`, `54s`, `500ms`, `2m`). */
  duration(name: string, fallback: string, minMs = 1): number {
    const text = this.raw(name) ?? fallback;
    const ms = parseDuration(text);
    if (ms === undefined) throw new ConfigError(name, `must be a duration such as 10s, 500ms or 2m, got "${text}"`);
    if (ms < minMs) throw new ConfigError(name, `must be at least ${minMs}ms, got "${text}"`);
    return ms;
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const text = this.raw(name);
    if (text === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(text)) {
      throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${text}"`);
    }
    return text as T;
  }

  list(name: string, fallback: string[]): string[] {
    const text = this.raw(name);
    if (text === undefined) return fallback;
    return text
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  }
}
