/** Chooses the engine from the database URL. The only module that knows every engine. */
import { resolve } from 'node:path';
import { AppError } from '../domain/errors.ts';
import type { Store } from './contract.ts';
import { openPostgresStore } from './postgres/index.ts';
import { backupSqlite, type CopyReport, restoreSqlite } from './sqlite/backup.ts';
import { openSqliteStore } from './sqlite/index.ts';

export interface OpenStoreOptions {
  url: string;
  sync?: 'normal' | 'full';
  /** PostgreSQL: largest number of pooled connections. */
  pool?: number;
}

/** The file of a `sqlite:` URL, or undefined for another engine. */
function sqlitePath(url: string): string | undefined {
  if (!url.startsWith('sqlite:')) return undefined;
  const path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
  return path === ':memory:' ? path : resolve(path);
}

export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  const { url } = opts;
  const path = sqlitePath(url);
  if (path) return openSqliteStore({ path, sync: opts.sync ?? 'normal' });
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    return openPostgresStore({ url, poolSize: opts.pool ?? 10 });
  }
  throw new AppError('invalid_input', `Unsupported --db URL '${url}': use sqlite:<path> or postgres://…`);
}

export type { CopyReport };

/** A file store, for `backup` and `restore`; PostgreSQL has its own tools (docs/operations.md). */
function fileOf(url: string): string {
  const path = sqlitePath(url);
  if (path && path !== ':memory:') return path;
  throw new AppError(
    'unsupported',
    path
      ? 'An in-memory database cannot be backed up or restored'
      : 'sightline backup and restore copy the embedded SQLite store; back up PostgreSQL with pg_dump or point-in-time recovery (docs/operations.md)',
  );
}

/** A consistent copy of the store at `url` (servers may keep writing) into the file `to`. */
export function backupStore(url: string, to: string, opts: { force?: boolean } = {}): Promise<CopyReport> {
  return backupSqlite(fileOf(url), resolve(to), opts);
}

/** Restores the backup file `from` into the store at `url` (no server may be using it). */
export function restoreStore(from: string, url: string, opts: { force?: boolean } = {}): Promise<CopyReport> {
  return restoreSqlite(resolve(from), fileOf(url), opts);
}
