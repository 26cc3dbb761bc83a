import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { type AppProcess, startAppProcess } from '@switchboard/testing';
import { register } from '../src/node';
import { TEST_SECRET, TestCluster, token, until } from './cluster';
import { guardPreload, keepOffline, removeGuardPreload } from './offline';

const PACKAGE = join(__dirname, '..');
const BIN = join(PACKAGE, 'dist', 'bin', 'switchboard-peer.cjs');

/**
 * The built `switchboard-peer` command as its own process, its stdout collected line by
 * line, under the network guard (a `network-guard: …` line on stderr for what it refused).
 */
function run(args: string[]): { proc: ChildProcess; lines: string[] } {
  const proc = spawn(process.execPath, ['--require', guardPreload(), BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let buf = '';
  proc.stdout!.on('data', (chunk: Buffer) => {
    buf += chunk.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    lines.push(...parts);
  });
  proc.stderr!.on('data', (chunk: Buffer) => lines.push(`stderr: ${chunk.toString().trim()}`));
  return { proc, lines };
}

const value = (lines: string[], prefix: string) => lines.find((l) => l.startsWith(prefix))?.slice(prefix.length);

describe('the switchboard-peer command', () => {
  let cluster: TestCluster;
  const procs: { proc: ChildProcess; lines: string[] }[] = [];
  keepOffline();
  // What the guard refused in a command's process fails the test that ran it.
  afterEach(() => expect(procs.flatMap((p) => p.lines).filter((l) => l.includes('network-guard:'))).toEqual([]));

  beforeAll(async () => {
    execFileSync(process.execPath, [join(PACKAGE, 'build.mjs')], { stdio: 'inherit' });
    cluster = await TestCluster.start(2);
  }, 90000);
  afterAll(async () => {
    for (const p of procs) p.proc.kill('SIGKILL');
    await cluster.stop();
    removeGuardPreload();
  });
  /** Peer one creates a room with `oneArgs`, peer two joins it with `twoArgs`; resolves once their data channels are open. */
  const connectedPair = async (oneArgs: string[], twoArgs: string[]) => {
    const one = run([...oneArgs, '--create']);
    procs.push(one);
    const room = await until('room id', 20_000, () => value(one.lines, '# room '));
    const oneId = await until('client id', 20_000, () => value(one.lines, '# client '));
    const two = run([...twoArgs, '--join', room]);
    procs.push(two);
    const twoId = await until('client id', 20_000, () => value(two.lines, '# client '));
    expect(await until('joined', 20_000, () => value(two.lines, `# joined ${room} peers `))).toBe(oneId);
    await until('channels open', 20_000, () => one.lines.includes(`# open ${twoId}`) && two.lines.includes(`# open ${oneId}`));
    return { one, two, oneId, twoId };
  };

  it('builds a browser bundle that imports nothing (no Node modules, no ws, no werift)', () => {
    for (const file of ['browser/index.mjs', 'browser/index.cjs']) {
      const code = readFileSync(join(PACKAGE, 'dist', file), 'utf8');
      expect(code).not.toMatch(/require\(|^import .* from|\bfrom ["']/m);
      expect(code).toContain('RTCPeerConnection');
    }
    const pkg = JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8'));
    expect(pkg.exports['.'].browser.import.default).toBe('./dist/browser/index.mjs');
    expect(pkg.bin['switchboard-peer']).toBe('./dist/bin/switchboard-peer.cjs');
  });

  it('refuses bad arguments with its usage', () => {
    let status = 0;
    let stderr = '';
    try {
      execFileSync(process.execPath, [BIN, '--url', 'ws://x/signaling', '--token', 't'], { stdio: 'pipe' });
    } catch (err) {
      status = (err as { status: number }).status;
      stderr = String((err as { stderr: Buffer }).stderr);
    }
    expect(status).toBe(2);
    expect(stderr).toMatch(/exactly one of --create and --join/);
  });

  it('creates, joins, and carries stdin lines to the other peer with the sender id', async () => {
    const { one, two, oneId, twoId } = await connectedPair(
      ['--url', cluster.signaling(0), '--token', token('one')],
      ['--url', cluster.signaling(1), '--token', token('two')],
    );
    one.proc.stdin!.write('hello from one\n');
    two.proc.stdin!.write('and hello back\n');
    await until('line at two', 20_000, () => two.lines.includes(`${oneId}: hello from one`));
    await until('line at one', 20_000, () => one.lines.includes(`${twoId}: and hello back`));

    two.proc.kill('SIGTERM');
    await until('one sees two go', 20_000, () => one.lines.includes(`# closed ${twoId}`));
  }, 60000);

  it('sends the lines typed before any peer opened to every peer as it opens, once each, in order', async () => {
    const args = (who: string) => ['--url', cluster.signaling(0), '--token', token(who)];
    const host = run([...args('early-host'), '--create']);
    procs.push(host);
    const room = await until('room id', 20_000, () => value(host.lines, '# room '));
    const hostId = await until('client id', 20_000, () => value(host.lines, '# client '));
    host.proc.stdin!.write('first\nsecond\n');

    // Two peers join one after the other (on both replicas): the first opens before the second exists.
    const guests = [];
    for (const [i, replica] of [0, 1].entries()) {
      const guest = run(['--url', cluster.signaling(replica), '--token', token(`early-guest-${i}`), '--join', room]);
      procs.push(guest);
      const id = await until('guest id', 20_000, () => value(guest.lines, '# client '));
      await until(`host open to guest ${i}`, 20_000, () => host.lines.includes(`# open ${id}`));
      guests.push(guest);
    }
    host.proc.stdin!.write('third\n');

    // `third` follows the early lines on each ordered channel: once it is in, any repeat would be too.
    const fromHost = (lines: string[]) => lines.filter((l) => l.startsWith(`${hostId}: `));
    for (const guest of guests) await until('third at the guest', 20_000, () => guest.lines.includes(`${hostId}: third`));
    for (const guest of guests) expect(fromHost(guest.lines)).toEqual([`${hostId}: first`, `${hostId}: second`, `${hostId}: third`]);
  }, 90000);

  it('signs in with --api-key from the api, and a key the api did not issue is refused', async () => {
    // The api and a gateway in one process (PGlite in memory): keys it issues open /signaling.
    const server: AppProcess = await startAppProcess('standalone', { JWT_SECRET: TEST_SECRET, DATA_DIR: 'memory://' });
    try {
      const url = `${server.url}/signaling`;
      const [{ api_key: keyOne }, { api_key: keyTwo }] = await Promise.all(
        ['key-one', 'key-two'].map((username) => register(server.http, { username, password: 'secret123' })),
      );
      const { one, two, oneId } = await connectedPair(['--url', url, '--api-key', keyOne], ['--url', url, '--api-key', keyTwo]);
      one.proc.stdin!.write('keyed hello\n');
      await until('line at two', 20_000, () => two.lines.includes(`${oneId}: keyed hello`));

      const forged = run(['--url', url, '--api-key', `${keyOne.slice(0, -4)}xxxx`, '--create']);
      procs.push(forged);
      const [code] = (await once(forged.proc, 'exit')) as [number | null];
      expect(code).toBe(1);
      expect(forged.lines.some((l) => l.startsWith('# client '))).toBe(false);
      expect(forged.lines.join('\n')).toMatch(/stderr: switchboard-peer: .*closed before welcome/);
    } finally {
      await server.stop('SIGKILL');
    }
  }, 90000);
});
