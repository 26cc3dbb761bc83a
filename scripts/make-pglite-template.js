#!/usr/bin/env node
// Makes apps/api/assets/pglite-template.br, the freshly created PGlite data directory a first
// start unpacks instead of running initdb (apps/api/src/store/pglite-template.ts). Run it after
// upgrading @electric-sql/pglite or changing PgliteDatabase's SETTINGS (a first start with a
// stale template still works: it runs initdb, seconds slower, and says so in its log):
//
//   npm run build && node scripts/make-pglite-template.js
const { join } = require('node:path');
const { makeTemplate } = require('../dist/apps/api/src/store/pglite.database');
const { TEMPLATE_FILE } = require('../dist/apps/api/src/store/pglite-template');

const file = join(__dirname, '..', TEMPLATE_FILE);
const started = Date.now();
makeTemplate(file).then(
  () => process.stdout.write(`wrote ${file} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`),
  (err) => {
    process.stderr.write(`${err.stack ?? err}\n`);
    process.exit(1);
  },
);
