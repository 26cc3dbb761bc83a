import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { Logger } from '@nestjs/common';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import type { Database, Queryable } from './database';
import { packDataDir, pgliteVersion, readTemplateHeader, TEMPLATE_FILE, type TemplateHeader, unpackTemplate } from './pglite-template';
import { TransactionGuard } from './transaction-guard';

/**
 * PostgreSQL's default 128 MB of shared buffers is WebAssembly memory PGlite holds for good:
 * 8 MB took an idle standalone server from 309 MB of RSS to 157 MB (bench/results/HISTORY.md "Start-up time
 * and memory"), plenty for one process's users and messages.
 */
export const SETTINGS = 'shared_buffers=8MB\n';

/**
 * V8 compiles PostgreSQL's WebAssembly twice: Liftoff (baseline) at once, then TurboFan for the
 * functions that get hot, and keeps both. Liftoff alone holds ~50 MB less RSS, opens the
 * database faster (1.6 s instead of 2.0 s for a new one) and ran our inserts and paged reads
 * as fast (3,000 inserts, 1,000 pages: within 10%; bench/results/HISTORY.md, "Start-up time and memory").
 * PGlite is the only WebAssembly this process runs, and the flag is read when a module compiles,
 * so setting it before the first open is enough.
 */
function preferBaselineWasmCompiler(): void {
  setFlagsFromString('--liftoff-only');
}

/**
 * Creating a database (initdb) touches ~450 MB of WebAssembly memory that a running PGlite
 * never gives back, so a first start would hold ~600 MB for good. A short-lived child process
 * creates it instead; this process then opens the finished directory like any later start
 * (~180 MB idle, one more second on the first start only).
 */
const CREATE_SCRIPT = `
const [pglite, dataDir, settings] = process.argv.slice(1);
require('node:v8').setFlagsFromString('--liftoff-only');
const pg = new (require(pglite).PGlite)(dataDir, { postgresqlconf: settings });
pg.waitReady.then(() => pg.close()).then(
  () => process.exit(0),
  (err) => { process.stderr.write(String(err && err.message)); process.exit(1); },
);`;

async function createInChildProcess(dataDir: string): Promise<void> {
  try {
    await promisify(execFile)(process.execPath, ['-e', CREATE_SCRIPT, require.resolve('@electric-sql/pglite'), dataDir, SETTINGS]);
  } catch (err) {
    const { stderr, message } = err as { stderr?: string; message: string };
    throw new Error(stderr?.trim() || message);
  }
}

/**
 * Present in a data directory while a database is being created there; it lists the entries the
 * directory held before (a mounted volume's `lost+found`, say). A process stopped mid-creation
 * leaves it behind with half-written files, PG_VERSION among them, that PostgreSQL would refuse.
 */
export const CREATION_MARKER = '.switchboard-creating';

/**
 * Creates the database files in `dataDir` (from the template, else with initdb in a child
 * process), safe against being stopped halfway: the marker is in place before anything is
 * written and removed once the creation has succeeded. A directory still
 * holding the marker gets what the unfinished creation wrote removed, then is created again.
 * Only a directory with the marker is ever cleared.
 */
async function createSafely(dataDir: string, template: string | undefined): Promise<'template' | 'initdb'> {
  mkdirSync(dataDir, { recursive: true });
  const marker = join(dataDir, CREATION_MARKER);
  if (existsSync(marker)) {
    const removed = removeUnfinishedCreation(dataDir, marker);
    new Logger('Database').warn({ msg: 'found an unfinished database creation (the process was stopped while creating it); creating it again', dataDir, removed });
  } else {
    // Written whole then renamed, so the marker is either absent or complete.
    writeFileSync(`${marker}.tmp`, JSON.stringify(readdirSync(dataDir)));
    renameSync(`${marker}.tmp`, marker);
  }
  const how = (await fromTemplate(dataDir, template, marker)) ? 'template' : 'initdb';
  if (how === 'initdb') await createInChildProcess(dataDir);
  rmSync(marker);
  return how;
}

/**
 * Unpacks the shipped template (pglite-template.ts) into `dataDir` when the installed PGlite
 * made it with these settings: a fraction of a second instead of initdb's seconds. `false`
 * when there is none to use (initdb then). A template that cannot be read or unpacked is
 * reported and passed over, what it wrote removed (by `marker`, as after a stopped creation).
 */
async function fromTemplate(dataDir: string, file: string | undefined, marker: string): Promise<boolean> {
  if (!file) return false;
  let header: TemplateHeader;
  try {
    header = readTemplateHeader(file);
  } catch (err) {
    new Logger('Database').warn({ msg: 'the database template cannot be read; creating the database with initdb', file, error: (err as Error).message });
    return false;
  }
  if (header.pglite !== pgliteVersion() || header.settings !== SETTINGS) {
    new Logger('Database').log({ msg: 'the database template was made by another PGlite or with other settings; creating the database with initdb (seconds)', file, template: header.pglite, installed: pgliteVersion() });
    return false;
  }
  try {
    await unpackTemplate(file, dataDir);
    return true;
  } catch (err) {
    const removed = removeUnfinishedCreation(dataDir, marker);
    new Logger('Database').warn({ msg: 'the database template could not be unpacked; creating the database with initdb', file, error: (err as Error).message, removed });
    return false;
  }
}

/** The template file above this module (src/ and dist/ alike), or undefined. */
function findTemplate(): string | undefined {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, TEMPLATE_FILE);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/** Removes every entry the marker does not list as there before; returns their names. */
function removeUnfinishedCreation(dataDir: string, marker: string): string[] {
  const before = new Set<string>(JSON.parse(readFileSync(marker, 'utf8')) as string[]);
  const written = readdirSync(dataDir).filter((name) => name !== CREATION_MARKER && !before.has(name));
  for (const name of written) rmSync(join(dataDir, name), { recursive: true, force: true });
  return written;
}

/**
 * Makes the template `PgliteDatabase.open` unpacks (`scripts/make-pglite-template.js`, after a
 * PGlite upgrade or a change of SETTINGS): initdb as a first start would run it, then packed.
 */
export async function makeTemplate(file: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sb-pglite-template-'));
  try {
    await createInChildProcess(join(dir, 'data'));
    writeFileSync(file, packDataDir(join(dir, 'data'), pgliteVersion(), SETTINGS));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function needsCreating(dataDir: string): boolean {
  if (dataDir.includes('://')) return false;
  return !existsSync(join(dataDir, 'PG_VERSION')) || existsSync(join(dataDir, CREATION_MARKER));
}

/**
 * Embedded PostgreSQL (PGlite, WebAssembly) in this process: the standalone default.
 *
 * PGlite has a single connection. Its own mutex queues every query behind a running
 * transaction, which is what serialises our transactions; so a transaction must never
 * await anything slow (the outbox relay publishes outside any transaction for that reason).
 * One process owns a data directory: never open the same one twice at once.
 */
export class PgliteDatabase implements Database {
  readonly kind = 'pglite' as const;
  private readonly pg: PGlite;
  private readonly guard = new TransactionGuard();
  private closed?: Promise<void>;

  /**
   * `dataDir`: a directory (created when missing), or `memory://` for a throwaway database.
   * `created`: how `open` created its files this time (undefined: they were there, or memory).
   */
  constructor(
    readonly dataDir: string,
    readonly created?: 'template' | 'initdb',
  ) {
    // PGlite makes the last directory only; `memory://` and other schemes are not paths.
    if (!dataDir.includes('://')) mkdirSync(dataDir, { recursive: true });
    this.pg = new PGlite(dataDir, { postgresqlconf: SETTINGS });
    // Start-up failures surface on ready() and on every query; don't crash the process here.
    this.pg.waitReady.catch(() => undefined);
  }

  /**
   * Opens the database and waits until it has started (seconds: WebAssembly compiles). A new
   * one is unpacked from `template` (default: the shipped one) when it suits this PGlite.
   */
  static async open(dataDir: string, template = findTemplate()): Promise<PgliteDatabase> {
    preferBaselineWasmCompiler();
    try {
      const created = needsCreating(dataDir) ? await createSafely(dataDir, template) : undefined;
      const db = new PgliteDatabase(dataDir, created);
      await db.pg.waitReady;
      return db;
    } catch (err) {
      throw new Error(`PGlite could not open ${dataDir}: ${(err as Error).message}`);
    }
  }

  async query<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    this.guard.assertOutside('query');
    const result = await this.pg.query<T>(sql, [...params]);
    return result.rows;
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    this.guard.assertOutside('transaction');
    // PGlite's transaction() commits on resolve and rolls back (then rethrows) on throw.
    return this.pg.transaction((tx) => this.guard.inside(() => fn(wrap(tx))));
  }

  close(): Promise<void> {
    this.closed ??= this.pg.close();
    return this.closed;
  }
}

function wrap(tx: Transaction): Queryable {
  return {
    async query<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
      return (await tx.query<T>(sql, [...params])).rows;
    },
  };
}
