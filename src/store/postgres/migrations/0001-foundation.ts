/**
 * Tenancy, logs (partitioned by day on `timestamp`, see ADR "PostgreSQL partitions"), the log text
 * index and the committed-position function behind the change feed and the indexer.
 */
import type { Migration } from './index.ts';

export const foundation: Migration = {
  version: 1,
  name: 'foundation: tenancy and logs',
  sql: `
    CREATE EXTENSION IF NOT EXISTS pg_trgm;

    CREATE TABLE accounts (
      id text PRIMARY KEY,
      name text NOT NULL,
      handle text NOT NULL,
      created bigint NOT NULL
    );
    CREATE TABLE workspaces (
      ws serial PRIMARY KEY,
      id text NOT NULL UNIQUE,
      account_id text NOT NULL REFERENCES accounts(id),
      name text NOT NULL,
      handle text NOT NULL,
      description text,
      is_default boolean NOT NULL DEFAULT false,
      created bigint NOT NULL,
      UNIQUE (account_id, handle)
    );
    -- At most one default workspace, whatever races happen.
    CREATE UNIQUE INDEX workspaces_one_default ON workspaces (is_default) WHERE is_default;

    -- seq: insertion order across the database, allocated by writers holding the stream lock
    -- (streams.ts). No primary key: a unique index on a partitioned table must contain the
    -- partition key, and seq is unique by construction.
    CREATE SEQUENCE logs_seq AS bigint CACHE 1;
    CREATE TABLE logs (
      ws integer NOT NULL,
      seq bigint NOT NULL,
      id uuid NOT NULL,
      created bigint NOT NULL,
      "timestamp" bigint NOT NULL,
      level integer NOT NULL,
      name text NOT NULL,
      message text NOT NULL,
      flow_run_id uuid,
      task_run_id uuid,
      worker_id uuid
    ) PARTITION BY RANGE ("timestamp");
    CREATE TABLE logs_default PARTITION OF logs DEFAULT;
    -- One index per filter of POST /logs/filter, each ending in the (timestamp, seq) sort key.
    CREATE INDEX logs_ws_time ON logs (ws, "timestamp", seq);
    CREATE INDEX logs_ws_flow_run ON logs (ws, flow_run_id, "timestamp", seq) WHERE flow_run_id IS NOT NULL;
    CREATE INDEX logs_ws_task_run ON logs (ws, task_run_id, "timestamp", seq) WHERE task_run_id IS NOT NULL;
    CREATE INDEX logs_ws_worker ON logs (ws, worker_id, "timestamp", seq) WHERE worker_id IS NOT NULL;
    CREATE INDEX logs_ws_level ON logs (ws, level, "timestamp", seq);
    CREATE INDEX logs_ws_logger ON logs (ws, name, "timestamp", seq);
    -- The indexer's and text search's tail: rows past the index watermark.
    CREATE INDEX logs_seq_idx ON logs (seq);

    -- The text index, filled off the acknowledgement path: lower(message || ' ' || name) of every
    -- log with seq <= meta.logs_text_indexed_upto, partitioned like logs so retention drops both.
    -- (Version 2 makes it unlogged, with its watermark in text_index_state.)
    CREATE TABLE logs_text (
      ws integer NOT NULL,
      "timestamp" bigint NOT NULL,
      seq bigint NOT NULL,
      text text NOT NULL
    ) PARTITION BY RANGE ("timestamp");
    CREATE TABLE logs_text_default PARTITION OF logs_text DEFAULT;
    -- A larger pending list (16 MB, in kB) lets the indexer add rows in bulk: about 50% faster.
    CREATE INDEX logs_text_trgm ON logs_text USING gin (text gin_trgm_ops) WITH (gin_pending_list_limit = 16384);
    INSERT INTO meta (key, value) VALUES ('logs_text_indexed_upto', '0');

    -- The highest position of a stream below which every row is committed (or rolled back).
    -- Writers take a shared advisory lock keyed (tag << 56 | a lower bound of their positions)
    -- before they allocate (streams.ts); the sequence is read first, the in-flight writers second,
    -- so a writer that allocated a position <= the sequence value is always seen.
    CREATE FUNCTION sightline_committed_upto(stream_tag integer, seq regclass) RETURNS bigint
    LANGUAGE plpgsql AS $fn$
    DECLARE
      allocated bigint;
      oldest bigint;
    BEGIN
      EXECUTE format('SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM %s', seq) INTO allocated;
      SELECT min(((l.classid::bigint << 32) | l.objid::bigint) & ((1::bigint << 56) - 1)) INTO oldest
        FROM pg_locks l
       WHERE l.locktype = 'advisory' AND l.objsubid = 1
         AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND (l.classid::bigint >> 24) = stream_tag;
      RETURN CASE WHEN oldest IS NULL THEN allocated ELSE least(allocated, oldest - 1) END;
    END
    $fn$;
  `,
};
