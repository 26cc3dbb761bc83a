import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildSync } from 'esbuild';
import { guardNetwork, type NetworkGuard } from './network-guard';

export { guardNetwork, type NetworkGuard } from './network-guard';

/**
 * Guards this test file's process (see `guardNetwork`): an attempt to reach beyond the
 * machine fails the test during which it happened, even if the library swallowed the error.
 */
export function keepOffline(): NetworkGuard {
  const guard = guardNetwork();
  afterEach(() => expect(guard.violations.splice(0)).toEqual([]));
  afterAll(() => guard.uninstall());
  return guard;
}

let preload: string | undefined;

/** The guard as one CommonJS file for `node --require`: child processes report violations on stderr. */
export function guardPreload(): string {
  if (preload) return preload;
  const file = join(mkdtempSync(join(tmpdir(), 'network-guard-')), 'network-guard.cjs');
  buildSync({ entryPoints: [join(__dirname, 'network-guard.preload.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: file, logLevel: 'warning' });
  return (preload = file);
}

/** Deletes the file `guardPreload` wrote (after the processes that use it are gone). */
export function removeGuardPreload(): void {
  if (preload) rmSync(dirname(preload), { recursive: true, force: true });
  preload = undefined;
}
