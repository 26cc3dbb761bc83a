#!/usr/bin/env node
// `npm start`: compiles dist/ when a source changed since the last build (the check of
// scripts/build.js --if-changed; the compiling, SWC only, in a child process), then runs the
// standalone server in this process. One process instead of a prestart step's: checking that
// nothing changed costs ~30 ms here against ~150 ms of CPU for starting another node.
//
// The first start after a change runs SWC's output as it is; 4 s later a low-priority child
// process bundles the standalone server (esbuild: seconds of CPU on a loaded machine) for the
// starts after it (bench/results/HISTORY.md, "Later starts from one bundled file").
const { execFileSync, spawn } = require('node:child_process');
const { existsSync, readdirSync } = require('node:fs');
const { setPriority } = require('node:os');
const { join } = require('node:path');
const { upToDate } = require('./build.js');

const build = join(__dirname, 'build.js');
/** When a start without a bundle starts bundling (by then a first start is ready). */
const BUNDLE_AFTER_MS = 4000;
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

/**
 * Bundles the standalone server in a detached child (it finishes even when the server stops
 * first; its errors show on stderr), at the lowest priority.
 */
function bundleInBackground() {
  const dist = join(__dirname, '..', 'dist');
  if (existsSync(join(dist, 'apps', 'standalone', 'bundle.js')) || bundling(dist)) return;
  const bundler = spawn(process.execPath, [build, '--bundle-only', 'standalone'], { detached: true, stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    setPriority(bundler.pid, 19);
  } catch {
    // not allowed here: it runs at normal priority
  }
  bundler.unref();
}

require('../dist/apps/standalone/main.js');
// After the start, not beside it: bundling alongside delayed a first start's readiness by
// 1-3 s even at the lowest priority (esbuild reads ~1,600 files).
setTimeout(bundleInBackground, BUNDLE_AFTER_MS).unref();
