/**
 * Versioned schema migrations for the SQLite engine. Each entry runs once, in order, inside a
 * transaction; the applied version is kept in `meta`. A database whose version is newer than the
 * last entry here was written by a newer Sightline and is refused.
 */
import type { DatabaseSync } from 'node:sqlite';
import { AppError } from '../../domain/errors.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'foundation: tenancy and logs',
    sql: `
      CREATE TABLE accounts (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        handle TEXT NOT NULL,
        created INTEGER NOT NULL
      );
      CREATE TABLE workspaces (
        ws INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        account_id TEXT NOT NULL REFERENCES accounts(id),
        name TEXT NOT NULL,
        handle TEXT NOT NULL,
        description TEXT,
        is_default INTEGER NOT NULL DEFAULT 0,
        created INTEGER NOT NULL,
        UNIQUE (account_id, handle)
      );
      CREATE TABLE logs (
        seq INTEGER PRIMARY KEY,
        ws INTEGER NOT NULL,
        id TEXT NOT NULL,
        created INTEGER NOT NULL,
        timestamp INTEGER NOT NULL,
        level INTEGER NOT NULL,
        name TEXT NOT NULL,
        message TEXT NOT NULL,
        flow_run_id TEXT,
        task_run_id TEXT,
        worker_id TEXT
      );
      CREATE INDEX logs_ws_timestamp ON logs (ws, timestamp);
      CREATE INDEX logs_ws_flow_run ON logs (ws, flow_run_id, timestamp);
      CREATE INDEX logs_ws_task_run ON logs (ws, task_run_id, timestamp);
      CREATE INDEX logs_ws_level ON logs (ws, level, timestamp);
      -- Contentless trigram index over message || ' ' || name; rowid = logs.seq.
      CREATE VIRTUAL TABLE logs_text USING fts5 (text, content = '', contentless_delete = 1, tokenize = 'trigram');
      INSERT INTO meta (key, value) VALUES ('logs_text_indexed_upto', '0');
    `,
  },
];

export const SCHEMA_VERSION = migrations[migrations.length - 1].version;

export function migrate(db: DatabaseSync): void {
  db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
  db.exec('BEGIN IMMEDIATE');
  try {
    const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined;
    const current = row ? Number(row.value) : 0;
    if (current > SCHEMA_VERSION) {
      throw new AppError(
        'schema_too_new',
        `The database schema is version ${current}, but this Sightline knows versions up to ${SCHEMA_VERSION}. ` +
          'It was written by a newer Sightline: upgrade Sightline, or point --db at another database.',
      );
    }
    for (const m of migrations) {
      if (m.version <= current) continue;
      db.exec(m.sql);
      db.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(
        String(m.version),
      );
    }
    db.exec('COMMIT');
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
}
