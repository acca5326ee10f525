/**
 * Runs: flows, flow runs, task runs, their state histories, and artifacts — the same tables as
 * SQLite's (`sqlite/migrations/0004-runs.ts`), with jsonb for JSON values. Keys are `(ws, id)`;
 * no foreign keys (task runs may arrive before their flow run; deletes cascade in code). Ids and
 * names compare bytewise (`COLLATE "C"`), as on SQLite, so sorts agree across engines.
 */
import type { Migration } from './index.ts';

export const runs: Migration = {
  version: 4,
  name: 'runs: flows, flow runs, task runs, states, artifacts',
  sql: `
    CREATE TABLE flows (
      ws integer NOT NULL,
      id text COLLATE "C" NOT NULL,
      created bigint NOT NULL,
      updated bigint NOT NULL,
      name text COLLATE "C" NOT NULL,
      tags jsonb NOT NULL,
      labels jsonb NOT NULL,
      PRIMARY KEY (ws, id),
      UNIQUE (ws, name)
    );
    CREATE TABLE flow_runs (
      ws integer NOT NULL,
      id text COLLATE "C" NOT NULL,
      created bigint NOT NULL,
      updated bigint NOT NULL,
      name text COLLATE "C" NOT NULL,
      flow_id text COLLATE "C" NOT NULL,
      state_id text COLLATE "C",
      state_type text,
      state_name text,
      state_timestamp bigint,
      deployment_id text,
      deployment_version text,
      work_queue_id text,
      work_queue_name text,
      work_pool_id text,
      work_pool_name text,
      flow_version text,
      parameters jsonb NOT NULL,
      idempotency_key text,
      context jsonb NOT NULL,
      empirical_policy jsonb NOT NULL,
      tags jsonb NOT NULL,
      labels jsonb NOT NULL,
      parent_task_run_id text COLLATE "C",
      run_count integer NOT NULL,
      expected_start_time bigint,
      next_scheduled_start_time bigint,
      start_time bigint,
      end_time bigint,
      total_run_time bigint NOT NULL,
      auto_scheduled boolean NOT NULL,
      infrastructure_document_id text,
      infrastructure_pid text,
      created_by jsonb,
      job_variables jsonb,
      PRIMARY KEY (ws, id)
    );
    CREATE UNIQUE INDEX flow_runs_idempotency ON flow_runs (ws, flow_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
    CREATE INDEX flow_runs_flow ON flow_runs (ws, flow_id);
    CREATE INDEX flow_runs_parent_task ON flow_runs (ws, parent_task_run_id) WHERE parent_task_run_id IS NOT NULL;
    CREATE INDEX flow_runs_expected_start ON flow_runs (ws, expected_start_time);
    CREATE INDEX flow_runs_state_type ON flow_runs (ws, state_type);
    CREATE TABLE flow_run_states (
      ws integer NOT NULL,
      id text COLLATE "C" NOT NULL,
      flow_run_id text COLLATE "C" NOT NULL,
      type text NOT NULL,
      name text COLLATE "C" NOT NULL,
      "timestamp" bigint NOT NULL,
      message text,
      data jsonb,
      state_details jsonb NOT NULL,
      PRIMARY KEY (ws, id)
    );
    CREATE INDEX flow_run_states_run ON flow_run_states (ws, flow_run_id, "timestamp");
    CREATE TABLE task_runs (
      ws integer NOT NULL,
      id text COLLATE "C" NOT NULL,
      created bigint NOT NULL,
      updated bigint NOT NULL,
      name text COLLATE "C" NOT NULL,
      flow_run_id text COLLATE "C",
      task_key text NOT NULL,
      dynamic_key text NOT NULL,
      cache_key text,
      cache_expiration bigint,
      task_version text,
      empirical_policy jsonb NOT NULL,
      tags jsonb NOT NULL,
      labels jsonb NOT NULL,
      task_inputs jsonb NOT NULL,
      state_id text COLLATE "C",
      state_type text,
      state_name text,
      state_timestamp bigint,
      run_count integer NOT NULL,
      flow_run_run_count integer NOT NULL,
      expected_start_time bigint,
      next_scheduled_start_time bigint,
      start_time bigint,
      end_time bigint,
      total_run_time bigint NOT NULL,
      PRIMARY KEY (ws, id)
    );
    CREATE UNIQUE INDEX task_runs_key ON task_runs (ws, flow_run_id, task_key, dynamic_key);
    CREATE INDEX task_runs_expected_start ON task_runs (ws, expected_start_time);
    CREATE TABLE task_run_states (
      ws integer NOT NULL,
      id text COLLATE "C" NOT NULL,
      task_run_id text COLLATE "C" NOT NULL,
      type text NOT NULL,
      name text COLLATE "C" NOT NULL,
      "timestamp" bigint NOT NULL,
      message text,
      data jsonb,
      state_details jsonb NOT NULL,
      PRIMARY KEY (ws, id)
    );
    CREATE INDEX task_run_states_run ON task_run_states (ws, task_run_id, "timestamp");
    CREATE TABLE artifacts (
      ws integer NOT NULL,
      id text COLLATE "C" NOT NULL,
      created bigint NOT NULL,
      updated bigint NOT NULL,
      key text COLLATE "C",
      type text,
      description text,
      data jsonb,
      metadata jsonb,
      flow_run_id text COLLATE "C",
      task_run_id text COLLATE "C",
      PRIMARY KEY (ws, id)
    );
    CREATE INDEX artifacts_flow_run ON artifacts (ws, flow_run_id);
    CREATE INDEX artifacts_task_run ON artifacts (ws, task_run_id);
    CREATE INDEX artifacts_key ON artifacts (ws, key, created);
  `,
};
