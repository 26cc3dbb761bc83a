#!/usr/bin/env node
// `npm start`: builds dist/ when a source changed since the last build (scripts/build.js
// --if-changed, in a child process), then runs the standalone server in this process. One
// process instead of a prestart step's: checking that nothing changed costs ~30 ms here
// against ~150 ms of CPU for starting another node (bench/results/HISTORY.md, "Later starts
// from one bundled file").
const { execFileSync } = require('node:child_process');
const { join } = require('node:path');
const { upToDate } = require('./build.js');

if (!upToDate()) {
  try {
    // Only the server it runs is bundled here (bundling all three apps takes about twice as long).
    execFileSync(process.execPath, [join(__dirname, 'build.js'), '--bundle', 'standalone'], { stdio: 'inherit' });
  } catch {
    process.exit(1); // build.js said why
  }
}
require('../dist/apps/standalone/main.js');
