/**
 * The log text index becomes UNLOGGED (ADR 5, PostgreSQL paragraph): it is derived data, and its
 * WAL was about 70% of all WAL written per log. Its
 * watermark moves into an unlogged table too, so that a crash, which empties unlogged tables,
 * resets both together and the indexer rebuilds from the start (searches scan meanwhile).
 * Existing index rows are dropped and rebuilt by the indexer.
 */
import type { Migration } from './index.ts';

export const unloggedTextIndex: Migration = {
  version: 6,
  name: 'unlogged log text index',
  sql: `
    DROP TABLE logs_text;
    DELETE FROM meta WHERE key = 'logs_text_indexed_upto';

    CREATE TABLE logs_text (
      ws integer NOT NULL,
      "timestamp" bigint NOT NULL,
      seq bigint NOT NULL,
      text text NOT NULL
    ) PARTITION BY RANGE ("timestamp");
    CREATE UNLOGGED TABLE logs_text_default PARTITION OF logs_text DEFAULT;
    CREATE INDEX logs_text_trgm ON logs_text USING gin (text gin_trgm_ops) WITH (gin_pending_list_limit = 16384);

    -- One row per text index: every row of its stream with seq <= upto is indexed. No row (as after
    -- a crash) means 0.
    CREATE UNLOGGED TABLE text_index_state (name text PRIMARY KEY, upto bigint NOT NULL);

    -- The index's day partitions follow the logs' partitions.
    DO $do$
    DECLARE
      part record;
    BEGIN
      FOR part IN
        SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) AS bound
          FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = 'logs'::regclass AND c.relname <> 'logs_default'
      LOOP
        EXECUTE format('CREATE UNLOGGED TABLE %I PARTITION OF logs_text %s', replace(part.relname, 'logs_', 'logs_text_'), part.bound);
      END LOOP;
    END
    $do$;
  `,
};
