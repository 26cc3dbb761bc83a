import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dockerignore, execForm, parseCopy, parseDockerfile, type Stage } from './testing/docker';
import { entrySource, repoFileExists, repoPath, ROOT, walk } from './testing/files';

/**
 * The Dockerfile and its build context, checked without a Docker engine: the stages do what
 * the image promises, and everything the build compiles is inside the context.
 */
describe('Dockerfile', () => {
  const { stages } = parseDockerfile();
  const ignored = dockerignore();
  const runtime = stages[stages.length - 1];
  const all = (stage: Stage, cmd: string) => stage.instructions.filter((i) => i.cmd === cmd);
  const last = (stage: Stage, cmd: string) => all(stage, cmd).at(-1);

  it('builds in one stage and ships a runtime stage with production dependencies only', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const build = stages.find((s) => all(s, 'RUN').some((r) => /npm run build/.test(r.args)))!;
    expect(build).toBeDefined();
    expect(all(build, 'RUN').some((r) => /npm (ci|install)\b/.test(r.args))).toBe(true);
    const copies = all(runtime, 'COPY').map(parseCopy);
    const dist = copies.find((c) => c.sources.some((s) => /dist\/?$/.test(s)));
    expect(dist?.from).toBe(build.name);
    const modules = copies.find((c) => c.sources.some((s) => /node_modules\/?$/.test(s)))!;
    const depsStage = stages.find((s) => s.name === modules.from)!;
    expect(all(depsStage, 'RUN').some((r) => /npm (ci|install)\b.*--omit=dev/.test(r.args))).toBe(true);
    expect(all(runtime, 'RUN').some((r) => /npm (ci|install)\b/.test(r.args) && !/--omit=dev/.test(r.args))).toBe(false);
  });

  it('runs as a numeric non-root user, exposes 8080, starts the standalone server by default', () => {
    const user = last(runtime, 'USER')?.args ?? '';
    expect(user).toMatch(/^\d+(:\d+)?$/);
    expect(Number(user.split(':')[0])).toBeGreaterThan(0);
    expect(all(runtime, 'EXPOSE').map((e) => e.args)).toEqual(['8080']);
    const cmd = execForm(last(runtime, 'CMD'))!;
    expect(cmd).toEqual(['node', 'dist/apps/standalone/main.js']);
    expect(repoFileExists(entrySource(cmd)!)).toBe(true);
    const env = all(runtime, 'ENV').map((e) => e.args).join(' ');
    expect(env).toMatch(/PORT=8080\b/);
    expect(env).toMatch(/DATA_DIR=\/\S+/);
  });

  it('runs the gateway with the V8 flags the benchmarks measure it with (NODE_OPTIONS)', () => {
    const env = all(runtime, 'ENV').map((e) => e.args).join(' ');
    const image = /NODE_OPTIONS=(\S+)/.exec(env)?.[1];
    const bench = /GATEWAY_NODE_OPTIONS = '([^']*)'/.exec(readFileSync(repoPath('bench/servers.ts'), 'utf8'))?.[1];
    expect(image).toBe('--max-semi-space-size=8');
    expect(bench).toBe(image);
  });

  it('ships the files the api reads at run time (seed 003 page, the embedded database template)', () => {
    const copies = all(runtime, 'COPY').map(parseCopy).filter((c) => c.from === undefined);
    expect(copies.some((c) => c.sources.includes('apps/api/public'))).toBe(true);
    expect(repoFileExists('apps/api/public/index.html')).toBe(true);
    // Without it a first start in the image runs initdb: seconds longer, ~450 MB touched in a child.
    expect(copies.some((c) => c.sources.includes('apps/api/assets'))).toBe(true);
    expect(repoFileExists('apps/api/assets/pglite-template.br')).toBe(true);
  });

  it('copies from the context only files that exist and .dockerignore keeps', () => {
    for (const stage of stages) {
      for (const copy of all(stage, 'COPY').map(parseCopy).filter((c) => c.from === undefined)) {
        for (const src of copy.sources) {
          expect({ src, exists: repoFileExists(src) }).toEqual({ src, exists: true });
          expect({ src, ignored: ignored(src.replace(/\/$/, '')) }).toEqual({ src, ignored: false });
        }
      }
    }
  });

  it('has every source the build compiles in its context (and nothing from bench/ is imported)', () => {
    const build = stages.find((s) => all(s, 'RUN').some((r) => /npm run build/.test(r.args)))!;
    const copied = all(build, 'COPY').map(parseCopy).flatMap((c) => c.sources.map((s) => s.replace(/\/$/, '')));
    const inImage = (f: string) => copied.some((src) => f === src || f.startsWith(`${src}/`));
    const listed = execFileSync(process.execPath, [repoPath('scripts', 'build.js'), '--list'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 })
      .split('\n')
      .filter((f) => f);
    expect(listed.length).toBeGreaterThan(20);
    const missing = listed.filter((f) => !f.startsWith('bench/') && (!inImage(f) || ignored(f)));
    expect(missing).toEqual([]);
    for (const f of listed.filter((g) => !g.startsWith('bench/'))) {
      expect({ f, importsBench: /from\s+['"][./]*bench\//.test(readFileSync(repoPath(f), 'utf8')) }).toEqual({ f, importsBench: false });
    }
    for (const f of ['package.json', 'package-lock.json', 'tsconfig.json', 'scripts']) expect(copied).toContain(f);
  });

  it('keeps secrets, keys and local state out of the build context', () => {
    for (const path of ['.env', '.env.production', 'deploy/nginx/certs/tls.key', 'node_modules/x', 'dist/apps/api/main.js', '.git/config', '.data/pglite/x']) {
      expect({ path, ignored: ignored(path) }).toEqual({ path, ignored: true });
    }
    // No committed deployment file carries a private key.
    for (const f of [...walk('deploy'), ...walk('k8s'), 'docker-compose.yml', 'Dockerfile']) {
      expect({ f, key: /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(readFileSync(repoPath(f), 'utf8')) }).toEqual({ f, key: false });
    }
  });

  it('.dockerignore is read as Docker reads it', () => {
    const m = dockerignore('**/node_modules\ndist\n*.md\n!README.md\napps/*/test\n');
    expect(m('node_modules/a')).toBe(true);
    expect(m('libs/x/node_modules/a')).toBe(true);
    expect(m('dist/x.js')).toBe(true);
    expect(m('apps/dist/x.js')).toBe(false);
    expect(m('NOTES.md')).toBe(true);
    expect(m('README.md')).toBe(false);
    expect(m('docs/NOTES.md')).toBe(false);
    expect(m('apps/api/test/a.ts')).toBe(true);
    expect(m('apps/api/src/a.ts')).toBe(false);
  });
});
