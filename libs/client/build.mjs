// Builds the publishable package into dist/: the browser build (ESM + CJS, platform globals
// only: esbuild fails on any Node import), the Node build (ESM + CJS, ws and werift left as
// dependencies), the switchboard-peer command, and the type declarations.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
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
