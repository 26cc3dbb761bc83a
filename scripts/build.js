#!/usr/bin/env node
// Compiles apps/, libs/ and bench/ to dist/ with SWC, one file at a time, rewriting the
// libraries' names (`@switchboard/bus`, tsconfig.json's `paths`) to relative requires. It
// does not type-check: `npm run typecheck` (tsc --noEmit) does, before every `npm test`.
//
//   node scripts/build.js              compile everything (npm run build)
//   node scripts/build.js --if-changed only when a source, tsconfig.json or the lockfile is
//                                      newer than the last build (npm start's prestart)
//   node scripts/build.js --list       print the sources it compiles, one per line
const { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } = require('node:fs');
const { dirname, join, relative } = require('node:path');

const root = join(__dirname, '..');
const out = join(root, 'dist');
const stamp = join(out, '.build-stamp');
const folders = ['apps', 'libs', 'bench'];

/** Tests, test-only helpers and other packages' builds are not part of dist/. */
function compiled(rel) {
  if (!rel.endsWith('.ts') || rel.endsWith('.d.ts')) return false;
  if (/\.(spec|e2e-spec)\.ts$/.test(rel)) return false;
  if (/(^|\/)(test|node_modules|dist)\//.test(rel)) return false;
  // Test helpers: a `testing/` folder or a `testing.ts` module (libs/testing is a library of its own).
  if (!rel.startsWith('libs/testing/') && /(^|\/)testing(\/|\.ts$)/.test(rel)) return false;
  return true;
}

function sources() {
  const found = [];
  const walk = (dir) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const rel = `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== 'dist') walk(rel);
      } else if (compiled(rel)) found.push(rel);
    }
  };
  for (const folder of folders) if (existsSync(join(root, folder))) walk(folder);
  return found.sort();
}

/** The newest modification time among the inputs (a folder's own time counts: files added or removed). */
function newestInput() {
  let max = 0;
  const visit = (path) => {
    const st = statSync(path, { throwIfNoEntry: false });
    if (!st) return;
    if (!st.isDirectory()) {
      if (/\.(ts|json)$/.test(path)) max = Math.max(max, st.mtimeMs);
      return;
    }
    max = Math.max(max, st.mtimeMs);
    for (const entry of readdirSync(path)) if (entry !== 'node_modules' && entry !== 'dist') visit(join(path, entry));
  };
  for (const input of [...folders, 'tsconfig.json', 'package-lock.json']) visit(join(root, input));
  return max;
}

/** tsconfig.json's `paths`, which SWC resolves against `baseUrl` and writes as relative requires. */
function swcOptions() {
  const { compilerOptions } = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8'));
  return {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      baseUrl: root,
      paths: compilerOptions.paths,
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
    sourceMaps: true,
  };
}

async function build() {
  const swc = require('@swc/core');
  const started = Date.now();
  const options = swcOptions();
  const files = sources();
  for (const folder of folders) rmSync(join(out, folder), { recursive: true, force: true });
  await Promise.all(
    files.map(async (rel) => {
      const file = join(root, rel);
      const target = join(out, rel.replace(/\.ts$/, '.js'));
      const { code, map } = await swc.transformFile(file, { ...options, filename: file, sourceFileName: relative(dirname(target), file) });
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, `${code}\n//# sourceMappingURL=${target.slice(dirname(target).length + 1)}.map\n`);
      writeFileSync(`${target}.map`, map);
    }),
  );
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
  process.stdout.write(`built dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s (${files.length} files)\n`);
}

if (process.argv.includes('--list')) {
  process.stdout.write(`${sources().join('\n')}\n`);
} else if (process.argv.includes('--if-changed') && existsSync(stamp) && statSync(stamp).mtimeMs > newestInput()) {
  process.stdout.write('dist/ is up to date with the sources: not rebuilding\n');
} else {
  build().catch((err) => {
    process.stderr.write(`${err.stack ?? err}\n`);
    process.exit(1);
  });
}
