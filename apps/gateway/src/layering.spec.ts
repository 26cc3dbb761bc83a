import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = __dirname;

/**
 * The gateway's folders, top to bottom: a file may import only from folders below its own
 * (files at the top, the module, the table and bootstrap, may import all of them). The
 * dialects do not know each other.
 */
const LAYERS: string[][] = [['rooms', 'channels', 'signaling'], ['hub'], ['cluster'], ['transport']];
const layerOf = (folder: string) => LAYERS.findIndex((layer) => layer.includes(folder));

/** Every source file under src (tests and test helpers left out), as paths relative to src. */
function sources(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'testing' ? [] : sources(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts') && e.name !== 'testing.ts' ? [relative(SRC, path)] : [];
  });
}

/** What a file imports, type-only imports included: gateway files as paths relative to src, libraries by name. */
function imports(file: string): Array<{ spec: string; target?: string }> {
  const text = readFileSync(join(SRC, file), 'utf8');
  return [...text.matchAll(/^(?:import|export)\s[^;]*?from '([^']+)'/gm)].map(([, spec]) =>
    spec.startsWith('.') ? { spec, target: relative(SRC, resolve(dirname(join(SRC, file)), spec)) } : { spec },
  );
}

const folderOf = (path: string) => (path.includes('/') ? path.split('/')[0] : undefined);

describe('gateway layering', () => {
  const files = sources();

  it('knows every folder of the gateway', () => {
    const folders = new Set(files.map(folderOf).filter((f) => f !== undefined));
    expect([...folders].filter((f) => layerOf(f!) < 0)).toEqual([]);
    expect(files.length).toBeGreaterThan(30);
  });

  it('imports only downwards: dialects → hub → cluster → transport, no folder cycle, no dialect importing another', () => {
    const upwards: string[] = [];
    for (const file of files) {
      const from = folderOf(file);
      if (from === undefined) continue;
      for (const { spec, target } of imports(file)) {
        const to = target && folderOf(target);
        if (to === undefined || to === from) continue;
        if (layerOf(to) <= layerOf(from)) upwards.push(`${file} imports ${spec}`);
      }
    }
    expect(upwards).toEqual([]);
  });

  it('the transport knows connections, frames and limits: not the bus, not presence', () => {
    const leaks = files
      .filter((f) => folderOf(f) === 'transport')
      .flatMap((file) => imports(file).filter(({ spec }) => /^@switchboard\/(bus|presence)$/.test(spec)).map(({ spec }) => `${file} imports ${spec}`));
    expect(leaks).toEqual([]);
  });

  it('signaling receives its peer topics from the cluster node, not through the room messaging', () => {
    const through = files
      .filter((f) => folderOf(f) === 'signaling')
      .flatMap((file) => imports(file).filter(({ target }) => target === 'hub/messaging.service').map(({ spec }) => `${file} imports ${spec}`));
    expect(through).toEqual([]);
  });
});
