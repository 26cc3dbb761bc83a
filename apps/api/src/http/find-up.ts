import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The file at `relative` under the nearest ancestor that has it (works from src/ and dist/). */
export function findUp(from: string, relative: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, relative);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`${relative} not found above ${from}`);
  }
}
