import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompressSync, constants } from 'node:zlib';

/**
 * A freshly created PGlite data directory, packed: unpacking it takes a fraction of a second
 * where PGlite's initdb (PostgreSQL's bootstrap in WebAssembly) takes 2–6 s and touches
 * ~450 MB of memory. `PgliteDatabase.open` unpacks it into an empty data directory when it
 * was made by the installed PGlite with the same settings; otherwise it runs initdb.
 *
 * The file: [4-byte big-endian header length][header JSON][Brotli of the blobs, one after
 * another]. Each file is stored as a blob (its content without its trailing zero bytes,
 * restored by extending the file to its size); files with equal content share one blob. The
 * 40 MB directory packs into ~1 MB (the template1, template0 and postgres databases are
 * mostly copies, which Brotli's 16 MB window finds).
 */
export interface TemplateHeader {
  /** The `@electric-sql/pglite` version whose initdb created the directory. */
  pglite: string;
  /** The `postgresqlconf` it was created with. */
  settings: string;
  /** Directories, relative, each after its parent. */
  dirs: string[];
  /** Files: relative path, size in bytes, index of its blob. */
  files: Array<[path: string, size: number, blob: number]>;
  /** Each blob's length, in the order they follow each other. */
  blobs: number[];
}

/** The shipped template, `apps/api/assets/pglite-template.br` (found from src/ and dist/ alike). */
export const TEMPLATE_FILE = join('apps', 'api', 'assets', 'pglite-template.br');

/** The installed `@electric-sql/pglite` version. */
export function pgliteVersion(): string {
  const pkg = join(dirname(require.resolve('@electric-sql/pglite')), '..', 'package.json');
  return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
}

/** Packs the data directory `dataDir` (created by PGlite `pglite` with `settings`, and closed). */
export function packDataDir(dataDir: string, pglite: string, settings: string): Buffer {
  const header: TemplateHeader = { pglite, settings, dirs: [], files: [], blobs: [] };
  const blobs: Buffer[] = [];
  const blobOf = new Map<string, number>();
  const walk = (rel: string) => {
    for (const entry of readdirSync(join(dataDir, rel), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        header.dirs.push(path);
        walk(path);
      } else if (entry.isFile()) {
        const content = readFileSync(join(dataDir, path));
        let end = content.length;
        while (end > 0 && content[end - 1] === 0) end--;
        const blob = content.subarray(0, end);
        const key = createHash('sha256').update(blob).digest('hex');
        let index = blobOf.get(key);
        if (index === undefined) {
          index = blobs.push(blob) - 1;
          blobOf.set(key, index);
          header.blobs.push(blob.length);
        }
        header.files.push([path, content.length, index]);
      } else {
        throw new Error(`${join(dataDir, path)}: neither a file nor a directory; cannot pack it`);
      }
    }
  };
  walk('');
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(json.length);
  const raw = Buffer.concat(blobs);
  const packed = brotliCompressSync(raw, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_LGWIN]: 24, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length },
  });
  return Buffer.concat([length, json, packed]);
}

/** The header of the packed directory in `file`, read without unpacking it. */
export function readTemplateHeader(file: string): TemplateHeader {
  const fd = openSync(file, 'r');
  try {
    const length = Buffer.alloc(4);
    if (readSync(fd, length, 0, 4, 0) !== 4) throw new Error(`${file}: not a packed data directory (too short)`);
    const json = Buffer.alloc(length.readUInt32BE(0));
    if (readSync(fd, json, 0, json.length, 4) !== json.length) throw new Error(`${file}: not a packed data directory (header cut off)`);
    const header = JSON.parse(json.toString('utf8')) as TemplateHeader;
    if (typeof header.pglite !== 'string' || typeof header.settings !== 'string' || !Array.isArray(header.files) || !Array.isArray(header.blobs)) {
      throw new Error(`${file}: not a packed data directory (no header)`);
    }
    return header;
  } finally {
    closeSync(fd);
  }
}

/**
 * Unpacks in a short-lived child process: Brotli's buffers (a 16 MB window, 15 MB of output)
 * stayed in this process's allocator after they were freed, +30 MB of idle RSS for good.
 * Directories and files are created, never overwritten (`wx`): `dataDir` must not hold them.
 */
const UNPACK_SCRIPT = `
const fs = require('node:fs'), { join } = require('node:path');
const [file, dataDir] = process.argv.slice(1);
const packed = fs.readFileSync(file);
const length = packed.readUInt32BE(0);
const header = JSON.parse(packed.subarray(4, 4 + length).toString('utf8'));
const raw = require('node:zlib').brotliDecompressSync(packed.subarray(4 + length));
const starts = [];
let at = 0;
for (const n of header.blobs) { starts.push(at); at += n; }
if (at !== raw.length) throw new Error(file + ': blobs of ' + at + ' bytes announced, ' + raw.length + ' unpacked');
fs.mkdirSync(dataDir, { recursive: true });
for (const dir of header.dirs) fs.mkdirSync(join(dataDir, dir));
for (const [path, size, blob] of header.files) {
  const target = join(dataDir, path);
  fs.writeFileSync(target, raw.subarray(starts[blob], starts[blob] + header.blobs[blob]), { flag: 'wx' });
  if (size > header.blobs[blob]) fs.truncateSync(target, size);
}`;

/** Unpacks the packed directory `file` into `dataDir`; rejects with the child's error. */
export async function unpackTemplate(file: string, dataDir: string): Promise<void> {
  try {
    await promisify(execFile)(process.execPath, ['-e', UNPACK_SCRIPT, file, dataDir]);
  } catch (err) {
    const { stderr, message } = err as { stderr?: string; message: string };
    throw new Error(`unpacking ${file}: ${lastErrorLine(stderr) ?? message}`);
  }
}

/** The `Error: …` line of a child's uncaught exception, else its last line. */
function lastErrorLine(stderr?: string): string | undefined {
  const lines = stderr?.trim().split('\n') ?? [];
  return lines.find((line) => /^\w*Error\b/.test(line)) ?? lines.at(-1);
}
