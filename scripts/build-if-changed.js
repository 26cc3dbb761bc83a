#!/usr/bin/env node
// `npm run build` (with --always) and `npm start`'s prestart: compile incrementally (tsc
// --incremental, its state in dist/), and in prestart only when a source, a tsconfig or the
// lockfile changed since the last build (newer than dist/.build-stamp, or a folder whose
// entries changed), so a start with nothing changed costs a directory walk instead of `tsc`.
const { spawnSync } = require('node:child_process');
const { existsSync, readdirSync, statSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const stamp = join(root, 'dist', '.build-stamp');
const inputs = ['apps', 'libs', 'bench', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];

function newest(path) {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return /\.(ts|json)$/.test(path) ? st.mtimeMs : 0;
  let max = st.mtimeMs; // a file added, removed or renamed in it
  // Build outputs (libs/client/dist, written by its own build and tests) are not sources.
  for (const entry of readdirSync(path)) if (entry !== 'node_modules' && entry !== 'dist') max = Math.max(max, newest(join(path, entry)));
  return max;
}

const built = existsSync(stamp) ? statSync(stamp).mtimeMs : 0;
const changed = Math.max(...inputs.map((p) => newest(join(root, p))));
if (!process.argv.includes('--always') && built > changed) {
  process.stdout.write('dist/ is up to date with the sources: not rebuilding\n');
  process.exit(0);
}
const started = Date.now();
const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--incremental', '--tsBuildInfoFile', 'dist/.tsbuildinfo'], {
  cwd: root,
  stdio: 'inherit',
});
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
writeFileSync(stamp, `${new Date().toISOString()}\n`);
process.stdout.write(`built dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
