/**
 * The flow-run management API (`/api/v1/flow-runs`): each run's warning and error counts kept at
 * ingest beside its log count (existing logs counted once here), the link from a retry to the run
 * it retries, the index its list pages are sorted by, and queued log downloads with their files.
 * A run's log index carries `level`: a deep page from a minimum level reads the index alone (ADR 28).
 */
import type { Migration } from './index.ts';

export const flowRunManagement: Migration = {
  version: 11,
  name: 'flow-run management: per-run warning/error counts, retry links, start-time order, queued downloads',
  sql: `
    ALTER TABLE log_run_stats ADD COLUMN warn_count bigint NOT NULL DEFAULT 0;
    ALTER TABLE log_run_stats ADD COLUMN error_count bigint NOT NULL DEFAULT 0;
    UPDATE log_run_stats SET warn_count = a.w, error_count = a.e
      FROM (SELECT ws, flow_run_id, count(*) FILTER (WHERE level < 40) AS w, count(*) FILTER (WHERE level >= 40) AS e
            FROM logs WHERE level >= 30 AND flow_run_id IS NOT NULL GROUP BY ws, flow_run_id) AS a
      WHERE log_run_stats.ws = a.ws AND log_run_stats.flow_run_id = a.flow_run_id;
    ALTER TABLE flow_runs ADD COLUMN retry_of text COLLATE "C";
    CREATE INDEX flow_runs_retry_of ON flow_runs (ws, retry_of, created) WHERE retry_of IS NOT NULL;
    CREATE INDEX flow_runs_start ON flow_runs (ws, start_time, id);
    DROP INDEX flow_runs_state_type;
    CREATE INDEX flow_runs_state_type ON flow_runs (ws, state_type, start_time, id);
    DROP INDEX logs_ws_flow_run;
    CREATE INDEX logs_ws_flow_run ON logs (ws, flow_run_id, "timestamp", seq) INCLUDE (level) WHERE flow_run_id IS NOT NULL;
    CREATE TABLE downloads (
      ws integer NOT NULL,
      id text NOT NULL,
      flow_run_id text NOT NULL,
      run_name text NOT NULL,
      format text NOT NULL,
      status text NOT NULL,
      created bigint NOT NULL,
      completed bigint,
      row_count bigint,
      size_bytes bigint,
      error text,
      snapshot_seq bigint NOT NULL,
      expires bigint,
      lease_owner text,
      lease_until bigint,
      PRIMARY KEY (ws, id)
    );
    CREATE INDEX downloads_ws_created ON downloads (ws, created, id);
    CREATE INDEX downloads_status ON downloads (status, created);
    CREATE TABLE download_chunks (
      download_id text NOT NULL,
      n bigint NOT NULL,
      data bytea NOT NULL,
      PRIMARY KEY (download_id, n)
    );
  `,
};
