/**
 * Spans, as on SQLite (`sqlite/migrations/0006-spans.ts`; version 6 is the unlogged text index
 * here): one row per flow run, task run and artifact, maintained by the run writes. `tags` is
 * jsonb (the `?|` filter); the other JSON columns are text, compared as stored. Ids compare
 * bytewise (`COLLATE "C"`), so span order is the same on both engines.
 */
import type { Migration } from './index.ts';

export const spans: Migration = {
  version: 7,
  name: 'spans: run spans and observed states',
  sql: `
    CREATE TABLE spans (
      ws integer NOT NULL,
      span_id text COLLATE "C" NOT NULL,
      trace_id text COLLATE "C" NOT NULL,
      parent_span_id text COLLATE "C",
      path text NOT NULL,
      depth integer NOT NULL,
      span_type text NOT NULL,
      name text NOT NULL,
      start_time bigint,
      end_time bigint,
      sort_start bigint NOT NULL,
      total_run_time bigint,
      state_type text,
      state_name text COLLATE "C",
      state_timestamp bigint,
      tags jsonb NOT NULL,
      attributes text NOT NULL,
      search text NOT NULL,
      version integer NOT NULL,
      published bigint NOT NULL,
      child_count integer NOT NULL,
      child_state_counts text NOT NULL,
      PRIMARY KEY (ws, span_id)
    );
    CREATE INDEX spans_trace_order ON spans (ws, trace_id, sort_start, span_id);
    CREATE INDEX spans_parent_order ON spans (ws, parent_span_id, sort_start, span_id);
    CREATE INDEX spans_trace_depth_order ON spans (ws, trace_id, depth, sort_start, span_id);
    -- Covers a trace's observed states and tags (index-only scans).
    CREATE INDEX spans_trace_observed ON spans (ws, trace_id, state_type, state_name, state_timestamp) INCLUDE (tags);
    CREATE TABLE span_observed_states (
      ws integer NOT NULL,
      state_type text NOT NULL,
      state_name text COLLATE "C" NOT NULL,
      first_seen bigint NOT NULL,
      last_seen bigint NOT NULL,
      PRIMARY KEY (ws, state_type, state_name)
    );
  `,
};
