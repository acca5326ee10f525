/**
 * Spans: one row per flow run, task run and artifact, maintained by the run writes. `path` and the
 * JSON columns are TEXT; `sort_start` is `start_time` with NULL replaced by a value above every
 * time, so the span order `(start_time nulls last, span_id)` is a plain index order. `search` is
 * the lower-cased text the `query` parameter searches. `span_observed_states` keeps every state
 * type/name pair the workspace's runs entered, with the first and last state timestamp.
 */
import type { Migration } from './index.ts';

export const spans: Migration = {
  version: 6,
  name: 'spans: run spans and observed states',
  sql: `
      CREATE TABLE spans (
        ws INTEGER NOT NULL,
        span_id TEXT NOT NULL,
        trace_id TEXT NOT NULL,
        parent_span_id TEXT,
        path TEXT NOT NULL,
        depth INTEGER NOT NULL,
        span_type TEXT NOT NULL,
        name TEXT NOT NULL,
        start_time INTEGER,
        end_time INTEGER,
        sort_start INTEGER NOT NULL,
        total_run_time INTEGER,
        state_type TEXT,
        state_name TEXT,
        state_timestamp INTEGER,
        tags TEXT NOT NULL,
        attributes TEXT NOT NULL,
        search TEXT NOT NULL,
        version INTEGER NOT NULL,
        published INTEGER NOT NULL,
        child_count INTEGER NOT NULL,
        child_state_counts TEXT NOT NULL,
        PRIMARY KEY (ws, span_id)
      );
      CREATE INDEX spans_trace_order ON spans (ws, trace_id, sort_start, span_id);
      CREATE INDEX spans_parent_order ON spans (ws, parent_span_id, sort_start, span_id);
      CREATE INDEX spans_trace_depth_order ON spans (ws, trace_id, depth, sort_start, span_id);
      -- Covers a trace's observed states and tags: read from the index alone.
      CREATE INDEX spans_trace_observed ON spans (ws, trace_id, state_type, state_name, state_timestamp, tags);
      CREATE TABLE span_observed_states (
        ws INTEGER NOT NULL,
        state_type TEXT NOT NULL,
        state_name TEXT NOT NULL,
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        PRIMARY KEY (ws, state_type, state_name)
      );
    `,
};
