import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT as ROOT } from '@switchboard/testing';

/** The WebRTC tests (Node and Chromium peers, the network guard, werift's ICE restarts). */
const WEBRTC_TESTS = [
  'libs/client/src/werift-peer-connection.spec.ts',
  'libs/client/test/network-guard.e2e-spec.ts',
  'libs/client/test/peers.e2e-spec.ts',
  'libs/client/test/browser.e2e-spec.ts',
  'libs/client/test/browser-resume.e2e-spec.ts',
  'libs/client/test/peer-resume.e2e-spec.ts',
  'libs/client/test/peer-command.e2e-spec.ts',
];

interface JestResult {
  numFailedTests: number;
  numPendingTests: number;
  numPassedTests: number;
  testResults: Array<{ name: string; assertionResults: Array<{ fullName: string; status: string; failureMessages: string[] }> }>;
}

/**
 * Issue 18: the WebRTC tests pass in a network namespace that has nothing but loopback, so
 * nothing they do can reach beyond the machine (no STUN server, no DNS), and Chromium and
 * werift have 127.0.0.1 as their only address. They run here in such a namespace (`unshare
 * --net`: as root, or elsewhere in a user namespace of its own), in a jest of their own.
 */
describe('the WebRTC tests in a network namespace with only loopback', () => {
  let dir: string;
  const children: ChildProcess[] = [];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'loopback-namespace-'));
  });
  afterAll(() => {
    // A jest still running there (this test timed out) goes with it.
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('all pass there, among them ICE restarts offered by werift to Chromium and two in a row between werift peers', async () => {
    const interfaces = join(dir, 'interfaces.json');
    const results = join(dir, 'results.json');
    const script = [
      'ip link set lo up',
      `node -e 'console.log(JSON.stringify(require("node:os").networkInterfaces()))' > ${interfaces}`,
      `exec node --experimental-vm-modules node_modules/jest/bin/jest.js --runInBand --ci --json --outputFile=${results} --runTestsByPath ${WEBRTC_TESTS.join(' ')}`,
    ].join(' && ');
    const namespace = process.getuid?.() === 0 ? ['--net'] : ['--user', '--map-root-user', '--net'];
    const { code, output } = await run('unshare', [...namespace, 'sh', '-c', script], children);
    if (code !== 0 && !output.includes('Tests:')) throw new Error(`could not run the tests in a network namespace (needs unshare and the right to create one):\n${output}`);

    // Inside: the loopback interface and nothing else.
    const seen = JSON.parse(readFileSync(interfaces, 'utf8')) as Record<string, Array<{ address: string; internal: boolean }>>;
    expect(Object.keys(seen)).toEqual(['lo']);
    expect(seen.lo.every((i) => i.internal)).toBe(true);

    const result = JSON.parse(readFileSync(results, 'utf8')) as JestResult;
    const failed = result.testResults.flatMap((f) => f.assertionResults.filter((a) => a.status !== 'passed').map((a) => `${a.fullName}: ${a.status}\n${a.failureMessages.join('\n').slice(0, 2000)}`));
    expect(failed).toEqual([]);
    expect(result.testResults.map((f) => f.name.slice(ROOT.length + 1)).sort()).toEqual([...WEBRTC_TESTS].sort());
    expect([result.numFailedTests, result.numPendingTests]).toEqual([0, 0]);
    const passed = result.testResults.flatMap((f) => f.assertionResults.map((a) => a.fullName));
    expect(passed).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^a browser peer and a Node peer .* restarts ICE on the same connections/),
        expect.stringMatching(/^peers that outlive their signaling replica \(werift\) restarts ICE twice/),
        expect.stringMatching(/^weriftPeerConnection carries data again after each of several ICE restarts/),
      ]),
    );
    expect(code).toBe(0);
  }, 600000);
});

/** Runs a command from the repository root (recorded in `children`); resolves with its exit code and its output (stdout and stderr). */
function run(command: string, args: string[], children: ChildProcess[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}
