import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** Rules of the repository's layout that a reader relies on (issue: a house a newcomer can read). */
const ROOT = join(__dirname, '..');
const FOLDERS = ['apps', 'libs', 'bench', 'test'];

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'dist' ? [] : sources(path);
    return /\.(ts|mts|cts)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Import specifiers of a file (static, dynamic and require). */
function specifiers(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^import\s+)'([^']+)'/gm)].map((m) => m[1]);
}

/** The package a repository path belongs to: `libs/bus`, `apps/gateway`, or the top folder. */
function packageOf(path: string): string {
  const parts = path.split('/');
  return parts[0] === 'libs' || parts[0] === 'apps' ? parts.slice(0, 2).join('/') : parts[0];
}

const tsconfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')) as { compilerOptions: { paths: Record<string, string[]> } };
const names = Object.keys(tsconfig.compilerOptions.paths);

/** Where tsconfig.json's paths send a name: an exact entry, else a `*` standing for one folder name. */
function resolveName(name: string): string | undefined {
  const exact = tsconfig.compilerOptions.paths[name];
  if (exact) return exact[0];
  for (const [pattern, [target]] of Object.entries(tsconfig.compilerOptions.paths)) {
    const m = new RegExp(`^${pattern.replace('*', '([a-z-]+)')}$`).exec(name);
    if (m) return target.replace('*', m[1]);
  }
  return undefined;
}

describe('the house', () => {
  const files = FOLDERS.flatMap(sources);

  it('reads every source folder', () => {
    expect(files.length).toBeGreaterThan(200);
  });

  it('no import climbs more than one folder', () => {
    const climbs = files.flatMap((f) => specifiers(f).filter((s) => s.startsWith('../../')).map((s) => `${f}: ${s}`));
    expect(climbs).toEqual([]);
  });

  it('another package is imported by its name, never by a relative path', () => {
    const crossings = files.flatMap((f) =>
      specifiers(f)
        .filter((s) => s.startsWith('.'))
        .filter((s) => packageOf(relative(ROOT, resolve(dirname(join(ROOT, f)), s))) !== packageOf(f))
        .map((s) => `${f}: ${s}`),
    );
    expect(crossings).toEqual([]);
  });

  it('libraries are imported through their index (or a testing index tsconfig names), and every name resolves', () => {
    const used = new Set(files.flatMap((f) => specifiers(f).filter((s) => s.startsWith('@switchboard/'))));
    expect(used.size).toBeGreaterThan(8);
    for (const name of used) {
      const target = resolveName(name);
      const resolves = target !== undefined && (existsSync(join(ROOT, `${target}.ts`)) || existsSync(join(ROOT, target, 'index.ts')));
      expect({ name, target, resolves }).toEqual({ name, target, resolves: true });
    }
  });

  it('jest resolves the same names as tsconfig.json', () => {
    const { moduleNameMapper } = require(join(ROOT, 'jest.config.js')) as { moduleNameMapper: Record<string, string> };
    const libs = readdirSync(join(ROOT, 'libs')).filter((l) => existsSync(join(ROOT, 'libs', l, 'src', 'index.ts')));
    for (const name of [...names.filter((n) => !n.includes('*')), ...libs.map((l) => `@switchboard/${l}`)]) {
      const rule = Object.entries(moduleNameMapper).find(([pattern]) => new RegExp(pattern).test(name));
      expect({ name, mapped: rule !== undefined }).toEqual({ name, mapped: true });
      const mapped = name.replace(new RegExp(rule![0]), rule![1]).replace('<rootDir>', ROOT);
      expect({ name, to: relative(ROOT, mapped) }).toEqual({ name, to: resolveName(name) });
    }
  });

  it('nest-cli.json lists every app and every library', () => {
    const { projects } = JSON.parse(readFileSync(join(ROOT, 'nest-cli.json'), 'utf8')) as { projects: Record<string, { type: string; root: string }> };
    const listed = Object.values(projects).map((p) => p.root).sort();
    const apps = readdirSync(join(ROOT, 'apps')).filter((a) => existsSync(join(ROOT, 'apps', a, 'main.ts'))).map((a) => `apps/${a}`);
    const libs = readdirSync(join(ROOT, 'libs')).map((l) => `libs/${l}`);
    expect(listed).toEqual([...apps, ...libs].sort());
  });
});
