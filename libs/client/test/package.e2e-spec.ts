import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PACKAGE = join(__dirname, '..');
const TSC = require.resolve('typescript/bin/tsc');
const ATTW = join(require.resolve('@arethetypeswrong/cli/package.json'), '..', 'dist', 'index.js');

/** Runs a command and returns its stdout; throws with all it printed when the exit code is not 0. */
function sh(cmd: string, args: string[], cwd: string): string {
  const result = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${result.status}:\n${result.stdout}${result.stderr}`);
  return result.stdout;
}
const node = (args: string[], cwd: string) => sh(process.execPath, args, cwd).trim();

/**
 * The package as a user gets it: `npm pack`, the tarball installed with `npm install` into an
 * empty folder outside the repository, then imported, required and type-checked there.
 */
describe('the packed @switchboard/client', () => {
  let work: string;
  let tarball: string;
  let consumer: string;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'switchboard-client-pack-'));
    const [packed] = JSON.parse(sh('npm', ['pack', '--json', '--pack-destination', work], PACKAGE));
    tarball = join(work, packed.filename);
    consumer = join(work, 'consumer');
    execFileSync('mkdir', [consumer]);
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
    sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], consumer);
  }, 180000);
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('ships its README, LICENSE, repository, both builds and both kinds of types, and nothing of the sources', () => {
    const files: string[] = JSON.parse(sh('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], PACKAGE))[0].files.map((f: { path: string }) => f.path);
    expect(files).toEqual(expect.arrayContaining(['README.md', 'LICENSE', 'package.json', 'dist/browser/index.mjs', 'dist/browser/index.cjs', 'dist/node/index.mjs', 'dist/node/index.cjs', 'dist/bin/switchboard-peer.cjs', 'dist/types/index.d.mts', 'dist/types/index.d.cts']));
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/') || f.endsWith('.d.ts'))).toEqual([]);
    const pkg = JSON.parse(node(['-p', 'JSON.stringify(require("@switchboard/client/package.json"))'], consumer));
    expect(pkg).toMatchObject({ license: 'MIT', repository: { type: 'git', directory: 'libs/client' } });
    expect(pkg.peerDependenciesMeta).toEqual({ werift: { optional: true } });
  });

  it('has types right for every resolution (arethetypeswrong finds no problem)', () => {
    expect(node([ATTW, tarball, '--format', 'ascii'], work)).toMatch(/No problems found/);
  }, 60000);

  it('installs without werift or any media library: ws is its only dependency', () => {
    const installed = readdirSync(join(consumer, 'node_modules')).filter((n) => !n.startsWith('.'));
    expect(installed.sort()).toEqual(['@switchboard', 'ws']);
    expect(existsSync(join(consumer, 'node_modules', 'werift'))).toBe(false);
  });

  it('is imported as an ES module and required as CommonJS, the Node build both times', () => {
    const esm = node(['--input-type=module', '-e', `import * as sb from '@switchboard/client';
      console.log([typeof sb.SwitchboardClient, typeof sb.PeerManager, typeof sb.SwitchboardHttpError, 'default' in sb].join(' '));
      console.log(new sb.SwitchboardClient({ url: 'ws://127.0.0.1:9/ws' }).connected, import.meta.resolve('@switchboard/client').endsWith('dist/node/index.mjs'));`], consumer);
    expect(esm).toBe('function function function false\nfalse true');
    const cjs = node(['-e', `const sb = require('@switchboard/client');
      console.log(typeof sb.SwitchboardClient, typeof sb.SignalingClient, require.resolve('@switchboard/client').endsWith('dist/node/index.cjs'))`], consumer);
    expect(cjs).toBe('function function true');
  });

  it('loads no werift for chat; a PeerManager without werift installed says how to get it', () => {
    const loaded = node(['-e', `const sb = require('@switchboard/client');
      new sb.SwitchboardClient({ url: 'ws://127.0.0.1:9/ws' });
      console.log(Object.keys(require.cache).filter((p) => p.includes('werift')).length);
      try { new sb.PeerManager({ on: () => () => undefined }); } catch (e) { console.log(e.message); }`], consumer);
    expect(loaded).toBe('0\nPeerManager in Node needs the optional peer dependency werift (WebRTC in pure TypeScript): npm install werift');
    // The command runs on the Node runtime (ws): a refused connection, not a missing WebSocket.
    const bin = join(consumer, 'node_modules', '.bin', 'switchboard-peer');
    expect(node([bin, '--help'], consumer)).toMatch(/^usage: switchboard-peer/);
    const refused = spawnSync(process.execPath, [bin, '--url', 'ws://127.0.0.1:9/signaling', '--token', 't', '--create'], { encoding: 'utf8' });
    expect([refused.status, refused.stderr]).toEqual([1, expect.stringMatching(/closed before welcome/)]);
  });

  it('requires werift only once a PeerManager is created, where werift is installed', () => {
    // The repository has werift: the same build, loaded from here, finds it.
    const loaded = node(['-e', `const sb = require(${JSON.stringify(join(PACKAGE, 'dist', 'node', 'index.cjs'))});
      const werift = () => Object.keys(require.cache).some((p) => p.includes('/werift/'));
      const before = werift();
      new sb.PeerManager({ on: () => () => undefined });
      console.log(before, werift());`], PACKAGE);
    expect(loaded).toBe('false true');
  });

  it('type-checks in a DOM project without skipLibCheck: node16 (ESM and CJS) and bundler resolution', () => {
    const use = `const client = new SwitchboardClient({ url: 'ws://127.0.0.1:9/ws' });
client.on('message', (frame: ServerFrame) => frame.type);
export const failed = (e: unknown) => (e instanceof SwitchboardHttpError ? [e.status, e.code, e.message] : undefined);
export const peers = (s: SignalingClient): PeerManager => new PeerManager(s, { iceServers: [] });
export const rtc: RTCPeerConnection | undefined = undefined;
`;
    const names = '{ PeerManager, type ServerFrame, SignalingClient, SwitchboardClient, SwitchboardHttpError }';
    writeFileSync(join(consumer, 'esm.mts'), `import ${names} from '@switchboard/client';\n${use}`);
    writeFileSync(join(consumer, 'cjs.cts'), `import ${names} from '@switchboard/client';\n${use}`);
    writeFileSync(join(consumer, 'bundled.ts'), `import ${names} from '@switchboard/client';\n${use}`);
    const base = { strict: true, noEmit: true, lib: ['ES2022', 'DOM'], types: [] };
    const tsconfig = (name: string, options: object, files: string[]) => {
      writeFileSync(join(consumer, name), JSON.stringify({ compilerOptions: { ...base, ...options }, files }));
      return name;
    };
    const check = (config: string) => spawnSync(process.execPath, [TSC, '-p', config], { cwd: consumer, encoding: 'utf8' });
    for (const config of [
      tsconfig('tsconfig.node16.json', { module: 'node16', moduleResolution: 'node16' }, ['esm.mts', 'cjs.cts']),
      tsconfig('tsconfig.bundler.json', { module: 'esnext', moduleResolution: 'bundler' }, ['bundled.ts']),
    ]) {
      const result = check(config);
      expect(`${config}: ${result.stdout}${result.stderr}`).toBe(`${config}: `);
      expect(result.status).toBe(0);
    }
    // ESM has no default export, and the types say so (it used to type-check and then crash).
    writeFileSync(join(consumer, 'default.mts'), `import sb from '@switchboard/client';\nexport const c = sb;\n`);
    const wrong = check(tsconfig('tsconfig.default.json', { module: 'node16', moduleResolution: 'node16' }, ['default.mts']));
    expect(wrong.stdout).toMatch(/error TS1192: Module .*@switchboard\/client.* has no default export/);
  }, 60000);
});
