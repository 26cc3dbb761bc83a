// Builds the publishable package into dist/ from this folder alone:
// - browser/index.{mjs,cjs}: platform globals only (esbuild fails on any Node import);
// - node/index.{mjs,cjs}: ws imported, werift required only when a PeerManager is created;
// - bin/switchboard-peer.cjs: the command;
// - types/*.d.mts and types/*.d.cts: tsc's declarations of the public entry, once with ESM
//   and once with CommonJS specifiers, so each import condition gets types of its own format
//   (the API is the same in the browser and in Node).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const out = (p) => join(here, 'dist', p);
const common = { bundle: true, sourcemap: true, target: 'es2020', logLevel: 'warning', absWorkingDir: here };
const nodeDeps = ['ws', 'werift'];

rmSync(join(here, 'dist'), { recursive: true, force: true });
await Promise.all([
  build({ ...common, entryPoints: ['src/index.ts'], platform: 'browser', format: 'esm', outfile: out('browser/index.mjs') }),
  build({ ...common, entryPoints: ['src/index.ts'], platform: 'browser', format: 'cjs', outfile: out('browser/index.cjs') }),
  // werift is required when the first PeerManager is created: an ES module needs a `require` for that.
  build({
    ...common,
    entryPoints: ['src/node.ts'],
    platform: 'node',
    format: 'esm',
    outfile: out('node/index.mjs'),
    external: nodeDeps,
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  }),
  build({ ...common, entryPoints: ['src/node.ts'], platform: 'node', format: 'cjs', outfile: out('node/index.cjs'), external: nodeDeps }),
  build({
    ...common,
    entryPoints: ['src/bin/switchboard-peer.ts'],
    platform: 'node',
    format: 'cjs',
    outfile: out('bin/switchboard-peer.cjs'),
    external: nodeDeps,
    banner: { js: '#!/usr/bin/env node' },
  }),
]);

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(here, 'tsconfig.json')], { stdio: 'inherit' });
const emitted = out('.types');
const relative = /(\bfrom\s+|\bimport\s*\(\s*)(['"])(\.{1,2}\/[^'"]+)\2/g;
// The declarations index.d.ts reaches (the Node-only runtime and the command stay out).
const reached = new Set();
const visit = (name) => {
  if (reached.has(name)) return;
  reached.add(name);
  const text = readFileSync(join(emitted, `${name}.d.ts`), 'utf8');
  for (const [, , , spec] of text.matchAll(relative)) visit(join(dirname(name), spec));
};
visit('index');
mkdirSync(out('types'), { recursive: true });
for (const name of reached) {
  const text = readFileSync(join(emitted, `${name}.d.ts`), 'utf8');
  for (const ext of ['mts', 'cts']) {
    const file = out(`types/${name}.d.${ext}`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text.replace(relative, (_, keyword, quote, spec) => `${keyword}${quote}${spec}.${ext.replace('t', 'j')}${quote}`));
  }
}
rmSync(emitted, { recursive: true, force: true });
