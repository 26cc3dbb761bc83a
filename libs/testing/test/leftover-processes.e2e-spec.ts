import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT as ROOT, until } from '@switchboard/testing';

/** Whether a process is still there (signal 0 only checks). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('app processes a test file left running', () => {
  it('are killed after the file, so jest exits instead of waiting on their pipes', async () => {
    const pidFile = join(mkdtempSync(join(tmpdir(), 'leftover-')), 'pid');
    const jest = spawn(
      process.execPath,
      ['--experimental-vm-modules', 'node_modules/jest/bin/jest.js', '--runInBand', '--roots', '<rootDir>/libs/testing/test/fixtures', '--testRegex', 'failed-start\\.fixture\\.ts$'],
      { cwd: ROOT, env: { ...process.env, PID_FILE: pidFile }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    jest.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    jest.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    let code: number | null | undefined;
    jest.once('exit', (c) => (code = c));
    const leftPid = () => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : undefined);
    try {
      await until('the fixture\'s jest to exit by itself', 60_000, () => code !== undefined, () => output);
      expect(output).toMatch(/1 passed/);
      expect(code).toBe(0);
      const pid = leftPid()!;
      await until(`the left gateway (pid ${pid}) to be gone`, 5000, () => !alive(pid));
    } finally {
      jest.kill('SIGKILL');
      const pid = leftPid();
      if (pid !== undefined && alive(pid)) process.kill(pid, 'SIGKILL');
    }
  }, 90_000);
});
