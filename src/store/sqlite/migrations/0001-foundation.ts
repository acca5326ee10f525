/** Tenancy (accounts, workspaces), logs and the log text index. */
import type { Migration } from './index.ts';

export const foundation: Migration = {
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
};
