/** A thin wrapper over one `node:sqlite` connection: statement cache and transactions. */
import { DatabaseSync, type StatementSync } from 'node:sqlite';

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
      s = this.raw.prepare(sql);
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
      this.raw.exec('ROLLBACK');
      throw err;
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
