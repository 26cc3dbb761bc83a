import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = join(__dirname, '..');

/** The gateway's own modules a file imports at run time (type-only imports left out). */
function runtimeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^import\s+(type\s+)?[^;]*?from '(\.[^']+)'/gm)]
    .filter((m) => m[1] === undefined)
    .map((m) => resolve(dirname(file), m[2]))
    .map((p) => (existsSync(`${p}.ts`) ? `${p}.ts` : join(p, 'index.ts')))
    .filter((p) => existsSync(p) && p.startsWith(SRC));
}

/** The chain of imports from `file` to a module under `target`, if any. */
function pathTo(file: string, target: string): string[] | undefined {
  const seen = new Set<string>();
  const stack: Array<[string, string[]]> = [[file, [relative(SRC, file)]]];
  while (stack.length > 0) {
    const [at, chain] = stack.pop()!;
    if (seen.has(at)) continue;
    seen.add(at);
    if (relative(SRC, at).startsWith(`${target}/`)) return chain;
    for (const next of runtimeImports(at)) stack.push([next, [...chain, relative(SRC, next)]]);
  }
  return undefined;
}

describe('gateway layering', () => {
  it('the transport never loads the hub: the dialect table reaches it by injection', () => {
    const transport = readdirSync(join(SRC, 'transport')).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'));
    expect(transport.length).toBeGreaterThan(5);
    const leaks = transport.map((f) => pathTo(join(SRC, 'transport', f), 'hub')).filter((chain) => chain !== undefined);
    expect(leaks).toEqual([]);
  });
});
