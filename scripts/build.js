#!/usr/bin/env node
// Compiles apps/, libs/ and bench/ to dist/ with SWC, one file at a time, rewriting the
// libraries' names (`@switchboard/bus`, tsconfig.json's `paths`) to relative requires. Then
// bundles each app's compiled code with its dependencies into one file with esbuild,
// dist/apps/<app>/bundle.js, run by dist/apps/<app>/main.js (scripts/bundle-loader.js): a
// start reads one file instead of ~1,600 modules. It does not type-check: `npm run typecheck`
// (tsc --noEmit) does, before every `npm test`.
//
//   node scripts/build.js              compile everything (npm run build)
//   node scripts/build.js --if-changed only when a source, tsconfig.json, the lockfile or this
//                                      script is newer than the last build (npm start)
//   node scripts/build.js --list       print the sources it compiles, one per line
//   --bundle standalone[,gateway,api]  bundle only these apps (`none`: none); the others run
//                                      SWC's output, unbundled
//   --bundle-only standalone[,...]     bundle these apps from dist/ as it is, without compiling
const { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } = require('node:fs');
const { dirname, join, relative } = require('node:path');

const root = join(__dirname, '..');
const out = join(root, 'dist');
const stamp = join(out, '.build-stamp');
const folders = ['apps', 'libs', 'bench'];
/** What a build depends on besides the sources in `folders`. */
const otherInputs = ['tsconfig.json', 'package-lock.json', 'scripts/build.js', 'scripts/bundle-loader.js'];
/** The runnable apps, each bundled (dist/apps/<app>/main.js). */
const apps = ['standalone', 'gateway', 'api'];

/**
 * Left out of the bundles and required from node_modules when run. PGlite and Swagger UI
 * read files next to their own code (WebAssembly and data, the UI's assets), which a bundle's
 * __dirname would not find. The others are packages Nest requires only when an app uses
 * them, and none does (they are not installed): a new one of those fails the build with
 * "Could not resolve", to be added here.
 */
const external = [
  '@electric-sql/pglite',
  'swagger-ui-dist',
  ...['@mikro-orm/core', '@nestjs/microservices', '@nestjs/mongoose', '@nestjs/platform-socket.io', '@nestjs/sequelize', '@nestjs/typeorm', 'class-transformer', 'class-validator'].flatMap((p) => [p, `${p}/*`]),
];

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
      if (/\.(ts|json|js)$/.test(path)) max = Math.max(max, st.mtimeMs);
      return;
    }
    max = Math.max(max, st.mtimeMs);
    for (const entry of readdirSync(path)) if (entry !== 'node_modules' && entry !== 'dist') visit(join(path, entry));
  };
  for (const input of [...folders, ...otherInputs]) visit(join(root, input));
  return max;
}

/** True when dist/ was built after every input last changed. */
function upToDate() {
  return existsSync(stamp) && statSync(stamp).mtimeMs > newestInput();
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

async function build(bundled = apps) {
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
  const compiled = Date.now();
  await bundle(bundled);
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
  const s = (from, to) => ((to - from) / 1000).toFixed(1);
  process.stdout.write(`built dist/ in ${s(started, Date.now())} s (${files.length} files in ${s(started, compiled)} s, ${bundled.length} bundled in ${s(compiled, Date.now())} s)\n`);
}

/**
 * ioredis reads its version (sent to Redis as CLIENT SETINFO LIB-VER) from `__dirname/../../package.json`;
 * bundled, it finds it through require.resolve instead. Bundling it saves loading its 55
 * modules (~0.1 s of CPU at every start of each app).
 */
const ioredisPackageJson = {
  name: 'ioredis-package-json',
  setup(build) {
    build.onLoad({ filter: /[\\/]ioredis[\\/]built[\\/]utils[\\/]index\.js$/ }, (args) => {
      const code = readFileSync(args.path, 'utf8');
      const path = '(0, path_1.resolve)(__dirname, "..", "..", "package.json")';
      if (!code.includes(path)) throw new Error(`${args.path} no longer reads its package.json as scripts/build.js expects: see ioredisPackageJson`);
      return { contents: code.replace(path, 'require.resolve("ioredis/package.json")'), loader: 'js' };
    });
  },
};

/**
 * dist/apps/<app>/bundle.js from SWC's output (which carries the decorator metadata Nest
 * injects by: esbuild does not emit it), minified but keeping class and function names (Nest
 * and the logs use them), with a source map that leads back to the TypeScript (through SWC's
 * maps); main.js, SWC's entry, becomes the loader that runs it.
 */
async function bundle(bundled) {
  if (bundled.length === 0) return;
  const esbuild = require('esbuild');
  // Written beside dist/apps/ first, then renamed into place (the loader last): a server
  // starting meanwhile runs either SWC's main.js or the whole bundle.
  const staging = join(out, `.bundling-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: Object.fromEntries(bundled.map((app) => [`${app}/bundle`, join(out, 'apps', app, 'src', 'main.js')])),
    outdir: staging,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    keepNames: true,
    sourcemap: true,
    sourcesContent: false,
    external,
    plugins: [ioredisPackageJson],
    logLevel: 'error',
  });
  for (const app of bundled) {
    const [from, to] = [join(staging, app), join(out, 'apps', app)];
    copyFileSync(join(__dirname, 'bundle-loader.js'), join(from, 'main.js'));
    for (const file of ['bundle.js.map', 'bundle.js', 'main.js']) renameSync(join(from, file), join(to, file));
    rmSync(join(to, 'main.js.map'), { force: true });
  }
  rmSync(staging, { recursive: true, force: true });
}

if (require.main !== module) {
  module.exports = { upToDate };
} else if (process.argv.includes('--list')) {
  process.stdout.write(`${sources().join('\n')}\n`);
} else if (process.argv.includes('--if-changed') && upToDate()) {
  process.stdout.write('dist/ is up to date with the sources: not rebuilding\n');
} else {
  const flag = ['--bundle', '--bundle-only'].find((f) => process.argv.includes(f));
  const named = flag ? process.argv[process.argv.indexOf(flag) + 1] ?? '' : apps.join(',');
  const only = named === 'none' ? [] : named.split(',');
  const unknown = only.filter((app) => !apps.includes(app));
  if (unknown.length || (flag === '--bundle-only' && only.length === 0)) {
    process.stderr.write(`${flag} takes apps among ${apps.join(', ')}${flag === '--bundle' ? ' or none' : ''}, not "${named}"\n`);
    process.exit(2);
  }
  (flag === '--bundle-only' ? bundle(only) : build(only)).catch((err) => {
    process.stderr.write(`${err.stack ?? err}\n`);
    process.exit(1);
  });
}
