/** A thin wrapper over one `node:sqlite` connection: statement cache and transactions. */
import { DatabaseSync, type SQLInputValue, type SQLOutputValue, type StatementSync } from 'node:sqlite';
import { AppError } from '../../domain/errors.ts';
import { clampInt8 } from '../shared/row-decoding.ts';

type Row = Record<string, SQLOutputValue>;
type Params = SQLInputValue[];

function numbersOf(row: Row): Row {
  for (const k in row) if (typeof row[k] === 'bigint') row[k] = clampInt8(row[k] as bigint);
  return row;
}

/**
 * `node:sqlite` refuses to read an integer beyond ±(2^53−1) into a JavaScript number and throws,
 * which would turn every read of a workspace holding such a row into a 500. Validation keeps new
 * rows in range; a statement that meets an old one is read again with big integers, clamped to
 * the nearest safe value (as the PostgreSQL engine reads them). Costs nothing until it happens.
 */
function readsAnyRow(s: StatementSync): StatementSync {
  const all = s.all.bind(s) as (...p: Params) => Row[];
  const get = s.get.bind(s) as (...p: Params) => Row | undefined;
  const retry = <T>(read: () => T, err: unknown): T => {
    if ((err as { code?: string })?.code !== 'ERR_OUT_OF_RANGE') throw err;
    s.setReadBigInts(true);
    try {
      return read();
    } finally {
      s.setReadBigInts(false);
    }
  };
  s.all = ((...params: Params) => {
    try {
      return all(...params);
    } catch (err) {
      return retry(() => all(...params).map(numbersOf), err);
    }
  }) as StatementSync['all'];
  s.get = ((...params: Params) => {
    try {
      return get(...params);
    } catch (err) {
      return retry(() => {
        const row = get(...params);
        return row && numbersOf(row);
      }, err);
    }
  }) as StatementSync['get'];
  return s;
}

/** SQLite failures that are the machine's, not the request's: busy past the timeout, disk full, I/O. */
const UNAVAILABLE = new Set([5, 6, 7, 10, 13]);

function sqliteError(err: unknown): unknown {
  const code = (err as { errcode?: number })?.errcode;
  if (typeof code === 'number' && UNAVAILABLE.has(code & 0xff)) {
    return new AppError('unavailable', `The database is unavailable (${(err as Error).message}); try again`);
  }
  return err;
}

export type SyncMode = 'normal' | 'full';

export class Db {
  readonly raw: DatabaseSync;
  private readonly statements = new Map<string, StatementSync>();
  private depth = 0;

  constructor(path: string, sync: SyncMode, opts: { readOnly?: boolean; cacheMiB?: number } = {}) {
    this.raw = new DatabaseSync(path, { readOnly: opts.readOnly ?? false });
    // WAL + synchronous=NORMAL: a committed transaction survives a process crash (SIGKILL);
    // FULL also survives power loss. busy_timeout lets several processes share one file.
    this.raw.exec('PRAGMA journal_mode = WAL');
    this.raw.exec(`PRAGMA synchronous = ${sync === 'full' ? 'FULL' : 'NORMAL'}`);
    this.raw.exec('PRAGMA busy_timeout = 10000');
    // Checkpoint every ~40 MB of WAL instead of 4 MB: each checkpoint rewrites and fsyncs the hot
    // index pages once; fewer checkpoints cut a quarter to a third of ingest cost (log and event
    // benchmarks). With a file database, the text index worker checkpoints far more often on its own
    // thread (ADR 19), so this one is a backstop that finds little left to copy.
    this.raw.exec('PRAGMA wal_autocheckpoint = 10000');
    // Each connection has its own page cache (the OS caches the file as well); the engine has three
    // connections (writer, reader, text indexer), and together they must fit DESIGN's 300 MB RSS.
    this.raw.exec(`PRAGMA cache_size = -${(opts.cacheMiB ?? 16) * 1024}`);
    this.raw.exec('PRAGMA temp_store = MEMORY');
    this.raw.exec('PRAGMA foreign_keys = ON');
  }

  stmt(sql: string): StatementSync {
    let s = this.statements.get(sql);
    if (!s) {
      s = readsAnyRow(this.raw.prepare(sql));
      this.statements.set(sql, s);
    }
    return s;
  }

  /** Runs `fn` in a write transaction (IMMEDIATE, so two processes never deadlock upgrading). */
  tx<T>(fn: () => T): T {
    if (this.depth > 0) {
      this.depth++;
      try {
        return fn();
      } finally {
        this.depth--;
      }
    }
    this.raw.exec('BEGIN IMMEDIATE');
    this.depth = 1;
    try {
      const r = fn();
      this.raw.exec('COMMIT');
      return r;
    } catch (err) {
      if (this.raw.isTransaction) this.raw.exec('ROLLBACK');
      throw sqliteError(err);
    } finally {
      this.depth = 0;
    }
  }

  /** Runs `fn` in a read transaction, so that its statements see one snapshot (no lock taken). */
  read<T>(fn: () => T): T {
    if (this.depth > 0) return fn();
    this.raw.exec('BEGIN');
    this.depth = 1;
    try {
      return fn();
    } finally {
      this.depth = 0;
      this.raw.exec('COMMIT');
    }
  }

  close(): void {
    this.statements.clear();
    if (this.raw.isOpen) this.raw.close();
  }
}
