import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { SETTINGS } from './pglite.database';
import { packDataDir, pgliteVersion, readTemplateHeader, TEMPLATE_FILE, unpackTemplate } from './pglite-template';

const repoRoot = join(__dirname, '..', '..', '..', '..');

/** Every file and directory under `dir`: relative path → its content (files) or 'dir'. */
function tree(dir: string): Record<string, string> {
  const found: Record<string, string> = {};
  const walk = (path: string) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const full = join(path, entry.name);
      if (entry.isDirectory()) {
        found[relative(dir, full)] = 'dir';
        walk(full);
      } else found[relative(dir, full)] = readFileSync(full).toString('hex');
    }
  };
  walk(dir);
  return found;
}

describe('PGlite data directory template', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'sb-template-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('ships a template made by the installed PGlite with the settings the store opens it with', () => {
    const header = readTemplateHeader(join(repoRoot, TEMPLATE_FILE));
    // After a PGlite upgrade or a change of SETTINGS: npm run build && node scripts/make-pglite-template.js
    expect({ pglite: header.pglite, settings: header.settings }).toEqual({ pglite: pgliteVersion(), settings: SETTINGS });
    expect(header.files.map(([path]) => path)).toEqual(expect.arrayContaining(['PG_VERSION', 'global/pg_control', 'postgresql.conf']));
  });

  it('unpacks exactly what was packed: nested and empty directories, empty files, trailing zeros, equal contents', async () => {
    const source = join(dir, 'source');
    mkdirSync(join(source, 'base', '1'), { recursive: true });
    mkdirSync(join(source, 'base', '4'));
    mkdirSync(join(source, 'pg_tblspc'));
    writeFileSync(join(source, 'PG_VERSION'), '17\n');
    writeFileSync(join(source, 'empty'), '');
    const page = Buffer.concat([Buffer.from('a page'), Buffer.alloc(8186)]);
    writeFileSync(join(source, 'base', '1', '1259'), page);
    writeFileSync(join(source, 'base', '4', '1259'), page);
    writeFileSync(join(source, 'base', '4', 'zeros'), Buffer.alloc(16384));
    writeFileSync(join(source, 'base', '4', 'zero inside'), Buffer.from([1, 0, 0, 2, 0]));
    const file = join(dir, 'packed.br');
    writeFileSync(file, packDataDir(source, '9.9.9', 'x=1\n'));

    const header = readTemplateHeader(file);
    expect(header).toMatchObject({ pglite: '9.9.9', settings: 'x=1\n' });
    expect(header.blobs).toHaveLength(4); // '17\n', '' (empty and zeros), the page, [1, 0, 0, 2]
    await unpackTemplate(file, join(dir, 'target'));
    expect(tree(join(dir, 'target'))).toEqual(tree(source));
    expect(statSync(join(dir, 'target', 'base', '4', 'zeros')).size).toBe(16384);
  });

  it('never overwrites: unpacking where a file of the template already is fails and names it', async () => {
    const source = join(dir, 'source');
    mkdirSync(source);
    writeFileSync(join(source, 'PG_VERSION'), '17\n');
    const file = join(dir, 'packed.br');
    writeFileSync(file, packDataDir(source, '9.9.9', ''));
    const target = join(dir, 'target');
    mkdirSync(target);
    writeFileSync(join(target, 'PG_VERSION'), 'mine');
    await expect(unpackTemplate(file, target)).rejects.toThrow(/EEXIST.*PG_VERSION/);
    expect(readFileSync(join(target, 'PG_VERSION'), 'utf8')).toBe('mine');
  });

  it('says a file is no template when it is not one', () => {
    const file = join(dir, 'not-a-template');
    writeFileSync(file, 'no');
    expect(() => readTemplateHeader(file)).toThrow(`${file}: not a packed data directory (too short)`);
    writeFileSync(file, Buffer.concat([Buffer.from([0, 0, 0, 2]), Buffer.from('{}')]));
    expect(() => readTemplateHeader(file)).toThrow(`${file}: not a packed data directory (no header)`);
  });
});
