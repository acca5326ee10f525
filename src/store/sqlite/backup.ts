/**
 * Backup and restore of the embedded store: SQLite's online backup (`node:sqlite`'s `backup`) of
 * the database file and of its text index (`<db>-text`), while servers keep writing.
 *
 * Each file is copied in one backup step, that is one read transaction: in WAL mode writers go on
 * meanwhile (their pages go to the WAL, which cannot be checkpointed past the copy until it ends),
 * and the copy is the database as it was when the step began. A copy made in several steps would
 * start over whenever another connection wrote between two steps, which under steady ingest is
 * always. The text index is copied first: its watermark (the last log indexed) is then never past
 * the copied logs, so the restored indexer goes on from there and misses nothing.
 */
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { backup, DatabaseSync } from 'node:sqlite';
import { AppError } from '../../domain/errors.ts';
import { SCHEMA_VERSION } from './migrations/index.ts';
import { textPath } from './text-index.ts';

/** Pages per backup step: the whole file in one step (see above). */
const ONE_STEP = 2 ** 31 - 1;

export interface CopyReport {
  /** Files written, with their sizes in bytes. */
  files: { path: string; bytes: number }[];
  /** The copied database's schema version. */
  schemaVersion: number;
  ms: number;
}

/** The files of a store at `path` (database, its text index, and their WAL and shared-memory files). */
function storeFiles(path: string): string[] {
  const text = textPath(path);
  return [path, `${path}-wal`, `${path}-shm`, text, `${text}-wal`, `${text}-shm`];
}

/** The schema version of a Sightline database file, or an error naming what is wrong with it. */
function checkedVersion(path: string, what: string): number {
  if (!existsSync(path)) throw new AppError('invalid_input', `${what} ${path} does not exist`);
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(path, { readOnly: true });
    const ok = db.prepare('PRAGMA quick_check').get() as { quick_check: string } | undefined;
    if (ok?.quick_check !== 'ok') throw new Error(`integrity check failed: ${ok?.quick_check ?? 'no answer'}`);
    const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as
      | { value: string }
      | undefined;
    if (!row) throw new Error('no Sightline schema in it');
    return Number(row.value);
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError(
      'invalid_input',
      `${what} ${path} is not a usable Sightline database: ${(err as Error).message}`,
    );
  } finally {
    db?.close();
  }
}

/** Copies one database file; the copy is a single file (rollback journal: no -wal or -shm beside it). */
async function copyFile(from: string, to: string): Promise<number> {
  mkdirSync(dirname(to), { recursive: true });
  const src = new DatabaseSync(from, { readOnly: true });
  try {
    await backup(src, to, { rate: ONE_STEP });
  } finally {
    src.close();
  }
  // The copy keeps the source's WAL mode; a server opening it turns WAL on again.
  const copy = new DatabaseSync(to);
  try {
    copy.exec('PRAGMA journal_mode = DELETE');
  } finally {
    copy.close();
  }
  return statSync(to).size;
}

/** Copies the store at `path` (running or not) to `to` and `<to>-text`. */
export async function backupSqlite(path: string, to: string, opts: { force?: boolean } = {}): Promise<CopyReport> {
  const started = performance.now();
  const schemaVersion = checkedVersion(path, 'the database');
  const existing = storeFiles(to).filter((f) => existsSync(f));
  if (existing.length && !opts.force)
    throw new AppError('conflict', `${existing[0]} already exists: choose another --to, or --force to replace it`);
  for (const f of existing) rmSync(f);
  const files: CopyReport['files'] = [];
  if (existsSync(textPath(path)))
    files.push({ path: textPath(to), bytes: await copyFile(textPath(path), textPath(to)) });
  files.unshift({ path: to, bytes: await copyFile(path, to) });
  return { files, schemaVersion, ms: performance.now() - started };
}

/**
 * Restores a backup into the store at `path`, which no server may be using. Refuses a target that
 * holds a database unless `force`, and a backup newer than this Sightline (an older one is
 * migrated when a server opens it).
 */
export async function restoreSqlite(from: string, path: string, opts: { force?: boolean } = {}): Promise<CopyReport> {
  const started = performance.now();
  const schemaVersion = checkedVersion(from, 'the backup');
  if (schemaVersion > SCHEMA_VERSION)
    throw new AppError(
      'invalid_input',
      `the backup's schema is version ${schemaVersion}, newer than this Sightline knows (${SCHEMA_VERSION}): upgrade Sightline first`,
    );
  const existing = storeFiles(path).filter((f) => existsSync(f));
  if (existing.length && !opts.force)
    throw new AppError(
      'conflict',
      `${path} already holds a database: stop its server and add --force to replace it, or restore into an empty --data-dir`,
    );
  for (const f of existing) rmSync(f);
  const files: CopyReport['files'] = [{ path, bytes: await copyFile(from, path) }];
  // Without its text index a restored store indexes every log again, from the first.
  if (existsSync(textPath(from)))
    files.push({ path: textPath(path), bytes: await copyFile(textPath(from), textPath(path)) });
  return { files, schemaVersion, ms: performance.now() - started };
}
