import { join } from 'node:path';
import { REPO_ROOT } from './gateway-process';

let bundle: Promise<string> | undefined;

/**
 * The client library's browser build (libs/client/src/index.ts as one script that sets
 * `window.Switchboard`), made once per test file with esbuild, for pages of any origin.
 */
export function clientBundle(): Promise<string> {
  bundle ??= import('esbuild').then(async ({ build }) => {
    const out = await build({
      entryPoints: [join(REPO_ROOT, 'libs', 'client', 'src', 'index.ts')],
      bundle: true,
      platform: 'browser',
      format: 'iife',
      globalName: 'Switchboard',
      write: false,
    });
    return out.outputFiles[0].text;
  });
  return bundle;
}
