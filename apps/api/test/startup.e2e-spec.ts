import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AppProcess, startAppProcess, TestClient, until } from '@switchboard/testing';

const ROOT = join(__dirname, '..', '..', '..');
const logMessage = (line: string): string => {
  try {
    return String((JSON.parse(line) as { msg?: unknown }).msg ?? '');
  } catch {
    return '';
  }
};

/** Needs `npm run build`. */
describe('npm start', () => {
  let proc: AppProcess | undefined;
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sb-startup-'));
  });
  afterAll(async () => {
    await proc?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves WebSockets while the embedded database is still being created; readiness says when all is up', async () => {
    proc = await startAppProcess('standalone', { DATA_DIR: join(dir, 'pglite'), JWT_SECRET: 'startup-test-secret-0123456789' });
    // Creating the database takes seconds (a child process runs initdb); the server listens before.
    const ws = await TestClient.connect(`${proc.url}/ws/lobby?user_id=early`);
    expect(await ws.next('user_list')).toMatchObject({ room: 'lobby', data: ['early'] });
    await ws.close();

    // A REST call made now waits for the database rather than failing.
    const reg = await fetch(`${proc.http}/auth/register`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"username":"early","password":"an early passphrase"}' });
    expect(reg.status).toBe(201);
    await until('the standalone to report ready once its database is open', 30_000, async () => (await fetch(`${proc!.http}/health/ready`)).status === 200);
    // The order the process did things in, whatever this machine's speed: listening (so serving
    // WebSockets) came before the database was open, and that line says it did open.
    const messages = proc.logs.map(logMessage);
    const listening = messages.findIndex((msg) => /listening on/.test(msg));
    const opened = messages.indexOf('database open');
    expect(listening).toBeGreaterThanOrEqual(0);
    expect(opened).toBeGreaterThan(listening);
  }, 60000);

  it('does not rebuild when nothing changed since the last build, and rebuilds when a source is newer', () => {
    const run = () => execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.js'), '--if-changed'], { cwd: ROOT, encoding: 'utf8' });
    run(); // whatever earlier tests left behind
    expect(run()).toMatch(/up to date/);
    const stamp = join(ROOT, 'dist', '.build-stamp');
    utimesSync(stamp, new Date(0), new Date(0));
    expect(run()).toMatch(/built dist\/ in/);
    expect(run()).toMatch(/up to date/);
  }, 120000);
});
