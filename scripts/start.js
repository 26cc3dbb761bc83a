#!/usr/bin/env node
// `npm start`: compiles dist/ when a source changed since the last build (scripts/build.js
// --if-changed, in a child process), then runs the standalone server in this process. One
// process instead of a prestart step's: checking that nothing changed costs ~30 ms here
// against ~150 ms of CPU for starting another node.
//
// The first start after a change runs SWC's output as it is and bundles the standalone
// server meanwhile, in a low-priority child process (esbuild: seconds of CPU on a loaded
// machine), for the starts after it (bench/results/HISTORY.md, "Later starts from one
// bundled file").
const { execFileSync, spawn } = require('node:child_process');
const { existsSync, readdirSync } = require('node:fs');
const { setPriority } = require('node:os');
const { join } = require('node:path');
const { upToDate } = require('./build.js');

const build = join(__dirname, 'build.js');
if (!upToDate()) {
  try {
    execFileSync(process.execPath, [build, '--bundle', 'none'], { stdio: 'inherit' });
  } catch {
    process.exit(1); // build.js said why
  }
}
/** A bundler (build.js --bundle-only) still running: its staging folder is there and its process alive. */
function bundling(dist) {
  return readdirSync(dist).some((name) => {
    const pid = Number(/^\.bundling-(\d+)$/.exec(name)?.[1]);
    if (!pid) return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });
}

const dist = join(__dirname, '..', 'dist');
if (!existsSync(join(dist, 'apps', 'standalone', 'bundle.js')) && !bundling(dist)) {
  // Detached: it finishes the bundle even when the server is stopped first. Its errors show on stderr.
  const bundler = spawn(process.execPath, [build, '--bundle-only', 'standalone'], { detached: true, stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    setPriority(bundler.pid, 19);
  } catch {
    // not allowed here: it runs at normal priority
  }
  bundler.unref();
}
require('../dist/apps/standalone/main.js');
