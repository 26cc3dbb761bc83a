// dist/apps/<app>/main.js, copied there by scripts/build.js: runs bundle.js beside it, the app
// and its dependencies in one file (esbuild, from SWC's output). One file instead of ~1,600
// modules saves resolving and reading each; V8's compiled code for it is kept in
// bundle.js.cache, written once after a start, so later starts skip most of the compiling
// (bench/results/HISTORY.md, "Later starts from one bundled file").
'use strict';
const { readFileSync, renameSync, rmSync, statSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const { join } = require('node:path');
const { setFlagsFromString } = require('node:v8');
const vm = require('node:vm');

const file = join(__dirname, 'bundle.js');

/** How long after the start the compiled code is saved: by then start-up has compiled what it runs. */
const SAVE_AFTER_MS = 2000;

function run() {
  // `node --enable-source-maps`: an ordinary require, so Node maps stack traces to the
  // TypeScript sources (bundle.js.map); code run through vm.Script would not be mapped.
  // (process.sourceMapsEnabled is Node 20.7's; before it, the flag is looked for.)
  const mapped = process.sourceMapsEnabled ?? [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].includes('--enable-source-maps');
  if (mapped) {
    require(file);
    return;
  }
  // V8 accepts a code cache only under the flags it was made with, and the embedded database
  // sets --liftoff-only before it opens (apps/api/src/store/pglite.database.ts), so before the
  // cache is made: set it first. PGlite is the only WebAssembly these apps run.
  setFlagsFromString('--liftoff-only');
  const cacheFile = `${file}.cache`;
  // V8 checks a cache against the source's length only: the bundle's size and time say which one it was made from.
  const { size, mtimeMs } = statSync(file);
  const key = Buffer.from(`${size} ${mtimeMs}\n`);
  let cachedData;
  try {
    const cache = readFileSync(cacheFile);
    if (cache.subarray(0, key.length).equals(key)) cachedData = cache.subarray(key.length);
  } catch {
    // none yet
  }
  // Without importModuleDynamically (experimental on Node 20, and it warns): an import() in
  // the bundle would throw. Its only one is load-esm's, for Nest's FileTypeValidator, unused.
  const script = new vm.Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file, cachedData });
  if (!cachedData || script.cachedDataRejected) {
    setTimeout(() => {
      const tmp = `${cacheFile}.${process.pid}`;
      try {
        writeFileSync(tmp, Buffer.concat([key, script.createCachedData()]));
        renameSync(tmp, cacheFile);
      } catch {
        // A read-only dist/ (the Docker image runs as another user): every start compiles.
        rmSync(tmp, { force: true });
      }
    }, SAVE_AFTER_MS).unref();
  }
  const bundle = new Module(file, module);
  bundle.filename = file;
  script.runInThisContext().call(bundle.exports, bundle.exports, Module.createRequire(file), bundle, file, __dirname);
  bundle.loaded = true;
}

run();
