/**
 * The log text index lives in its own database file next to the main one (`<db>-text`), so that
 * building it never takes the main file's single write lock: a worker thread with its own
 * connection indexes while the main thread appends, on another core. The index is derived data —
 * its watermark and its rows commit together, and a lost file is rebuilt from the logs.
 *
 * Searches run on a read-only connection to the main file with the text file attached as `txt`.
 * An in-memory database (`:memory:`, one connection only) keeps the index in an attached
 * in-memory database and builds it on the calling thread.
 */
import type { DatabaseSync } from 'node:sqlite';
import { Worker } from 'node:worker_threads';
import { Db, type SyncMode } from './db.ts';

export const HAYSTACK = "message || ' ' || name";

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS txt.meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  -- Contentless trigram index over the haystack; rowid = logs.seq. No positions (detail = none):
  -- searches confirm every candidate against the row's text anyway.
  CREATE VIRTUAL TABLE IF NOT EXISTS txt.logs_text
    USING fts5 (text, content = '', contentless_delete = 1, tokenize = 'trigram', detail = none);
  INSERT INTO txt.meta (key, value) VALUES ('logs_text_indexed_upto', '0') ON CONFLICT (key) DO NOTHING;
  INSERT INTO txt.meta (key, value) VALUES ('logs_text_gone_upto', '0') ON CONFLICT (key) DO NOTHING;
`;

export function textPath(mainPath: string): string {
  return `${mainPath}-text`;
}

const metaValue = (db: DatabaseSync, key: string) =>
  Number((db.prepare('SELECT value FROM txt.meta WHERE key = ?').get(key) as { value: string }).value);

/**
 * Indexes up to `maxRows` logs past the watermark on a connection that has the logs as `main` and
 * the index attached as `txt`, after removing the entries of up to `maxRows` deleted logs (queued
 * in `main.logs_text_gone` by their deletion). A deferred transaction: it writes (and so locks)
 * only `txt`; the queue's processed rows are cleared by the main file's writer (`goneUpto`).
 * Returns how many logs it indexed or removed (0: nothing left to do).
 */
export function indexChunk(db: DatabaseSync, maxRows: number): number {
  db.exec('BEGIN');
  try {
    const from = metaValue(db, 'logs_text_indexed_upto');
    const gone = db
      .prepare(
        'SELECT max(id) AS upto, count(*) AS n FROM (SELECT id FROM main.logs_text_gone WHERE id > ? ORDER BY id LIMIT ?)',
      )
      .get(metaValue(db, 'logs_text_gone_upto'), maxRows) as { upto: number | null; n: number };
    if (gone.upto) {
      // Logs past the watermark were never indexed: only entries at or below it exist.
      db.prepare(
        'DELETE FROM txt.logs_text WHERE rowid IN (SELECT seq FROM main.logs_text_gone WHERE id > ? AND id <= ? AND seq <= ?)',
      ).run(metaValue(db, 'logs_text_gone_upto'), gone.upto, from);
      db.prepare("UPDATE txt.meta SET value = ? WHERE key = 'logs_text_gone_upto'").run(String(gone.upto));
    }
    const last = db
      .prepare(
        'SELECT max(seq) AS upto, count(*) AS n FROM (SELECT seq FROM main.logs WHERE seq > ? ORDER BY seq LIMIT ?)',
      )
      .get(from, maxRows) as { upto: number | null; n: number };
    if (last.upto) {
      db.prepare(
        `INSERT INTO txt.logs_text (rowid, text) SELECT seq, ${HAYSTACK} FROM main.logs WHERE seq > ? AND seq <= ?`,
      ).run(from, last.upto);
      db.prepare("UPDATE txt.meta SET value = ? WHERE key = 'logs_text_indexed_upto'").run(String(last.upto));
    }
    db.exec('COMMIT');
    return last.n + gone.n;
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
}

/** Attaches the index file (creating its schema) to a connection. */
export function attachText(db: DatabaseSync, path: string, create: boolean): void {
  db.prepare('ATTACH DATABASE ? AS txt').run(path);
  if (create) {
    db.exec('PRAGMA txt.journal_mode = WAL');
    db.exec(SCHEMA);
  }
}

interface Reply {
  id: number;
  n?: number;
  error?: string;
}

export class LogTextIndex {
  /** The connection searches run on (sees `logs` and `txt.logs_text`). */
  readonly searchDb: Db;
  /** Whether indexing runs on another thread (callers then need not ration it). */
  readonly offThread: boolean;
  private readonly ownsSearchDb: boolean;
  private readonly worker: Worker | undefined;
  private readonly pending = new Map<number, { resolve: (n: number) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private workerError: Error | undefined;

  constructor(main: Db, mainPath: string, sync: SyncMode) {
    if (mainPath === ':memory:') {
      attachText(main.raw, ':memory:', true);
      this.searchDb = main;
      this.ownsSearchDb = false;
      this.offThread = false;
      return;
    }
    const path = textPath(mainPath);
    // Create the index file and its schema before anyone attaches it read-only.
    attachText(main.raw, path, true);
    main.raw.exec('DETACH DATABASE txt');
    this.searchDb = new Db(mainPath, sync, { readOnly: true });
    attachText(this.searchDb.raw, path, false);
    this.ownsSearchDb = true;
    this.offThread = true;
    const entry = import.meta.url.endsWith('.ts') ? './text-index-worker.ts' : './text-index-worker.js';
    this.worker = new Worker(new URL(entry, import.meta.url), {
      workerData: { mainPath, textPath: path, sync },
      // It runs SQL, not JavaScript: a small heap keeps the server within its memory budget.
      resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 48 },
      // Node 22 warns on every start that node:sqlite is experimental; the thread has nothing
      // else to warn about (the main thread's warnings are filtered by bin/sightline.js).
      execArgv: ['--no-warnings'],
    });
    this.worker.unref();
    this.worker.on('message', (m: Reply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.error !== undefined) p.reject(new Error(m.error));
      else p.resolve(m.n ?? 0);
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`text index worker exited (code ${code})`)));
  }

  private fail(err: Error): void {
    this.workerError ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  indexedUpto(): number {
    return metaValue(this.searchDb.raw, 'logs_text_indexed_upto');
  }

  /** How far the index has removed the entries of deleted logs (an id of `logs_text_gone`). */
  goneUpto(): number {
    return metaValue(this.searchDb.raw, 'logs_text_gone_upto');
  }

  /** Indexes up to `maxRows` logs; resolves with how many it indexed. */
  index(maxRows: number): Promise<number> {
    if (!this.worker) {
      try {
        return Promise.resolve(indexChunk(this.searchDb.raw, maxRows));
      } catch (err) {
        return Promise.reject(err);
      }
    }
    if (this.workerError) return Promise.reject(this.workerError);
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker!.postMessage({ id, maxRows });
    });
  }

  async close(): Promise<void> {
    // The read-only connection first: the worker's is then the last on the index file, and closing
    // it checkpoints and removes the index's WAL.
    if (this.ownsSearchDb) this.searchDb.close();
    if (this.worker) {
      this.workerError ??= new Error('text index closed');
      const worker = this.worker;
      // Ask the worker to close its connection (after the chunk it may be indexing); kill it if it hangs.
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.postMessage({ close: true });
      const timer = setTimeout(() => void worker.terminate(), 5_000);
      await exited;
      clearTimeout(timer);
    }
  }
}
