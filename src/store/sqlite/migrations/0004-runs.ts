/**
 * Runs: flows, flow runs, task runs, their state histories, and artifacts. Times are integer
 * microseconds, JSON values are TEXT. Keys are `(ws, id)`: task-run and state ids are chosen by
 * clients, so they are only unique within a workspace. No foreign keys: task runs may arrive
 * (as events) before their flow run, and deletes cascade in code.
 */
import type { Migration } from './index.ts';

export const runs: Migration = {
  version: 4,
  name: 'runs: flows, flow runs, task runs, states, artifacts',
  sql: `
      CREATE TABLE flows (
        ws INTEGER NOT NULL,
        id TEXT NOT NULL,
        created INTEGER NOT NULL,
        updated INTEGER NOT NULL,
        name TEXT NOT NULL,
        tags TEXT NOT NULL,
        labels TEXT NOT NULL,
        PRIMARY KEY (ws, id),
        UNIQUE (ws, name)
      );
      CREATE TABLE flow_runs (
        ws INTEGER NOT NULL,
        id TEXT NOT NULL,
        created INTEGER NOT NULL,
        updated INTEGER NOT NULL,
        name TEXT NOT NULL,
        flow_id TEXT NOT NULL,
        state_id TEXT,
        state_type TEXT,
        state_name TEXT,
        state_timestamp INTEGER,
        deployment_id TEXT,
        deployment_version TEXT,
        work_queue_id TEXT,
        work_queue_name TEXT,
        work_pool_id TEXT,
        work_pool_name TEXT,
        flow_version TEXT,
        parameters TEXT NOT NULL,
        idempotency_key TEXT,
        context TEXT NOT NULL,
        empirical_policy TEXT NOT NULL,
        tags TEXT NOT NULL,
        labels TEXT NOT NULL,
        parent_task_run_id TEXT,
        run_count INTEGER NOT NULL,
        expected_start_time INTEGER,
        next_scheduled_start_time INTEGER,
        start_time INTEGER,
        end_time INTEGER,
        total_run_time INTEGER NOT NULL,
        auto_scheduled INTEGER NOT NULL,
        infrastructure_document_id TEXT,
        infrastructure_pid TEXT,
        created_by TEXT,
        job_variables TEXT,
        PRIMARY KEY (ws, id)
      );
      CREATE UNIQUE INDEX flow_runs_idempotency ON flow_runs (ws, flow_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
      CREATE INDEX flow_runs_flow ON flow_runs (ws, flow_id);
      CREATE INDEX flow_runs_parent_task ON flow_runs (ws, parent_task_run_id);
      CREATE INDEX flow_runs_expected_start ON flow_runs (ws, expected_start_time);
      CREATE INDEX flow_runs_state_type ON flow_runs (ws, state_type);
      CREATE TABLE flow_run_states (
        ws INTEGER NOT NULL,
        id TEXT NOT NULL,
        flow_run_id TEXT NOT NULL,
        type TEXT NOT NULL,
        name TEXT NOT NULL,
        timestamp INTEGER NOT NULL,
        message TEXT,
        data TEXT,
        state_details TEXT NOT NULL,
        PRIMARY KEY (ws, id)
      );
      CREATE INDEX flow_run_states_run ON flow_run_states (ws, flow_run_id, timestamp);
      CREATE TABLE task_runs (
        ws INTEGER NOT NULL,
        id TEXT NOT NULL,
        created INTEGER NOT NULL,
        updated INTEGER NOT NULL,
        name TEXT NOT NULL,
        flow_run_id TEXT,
        task_key TEXT NOT NULL,
        dynamic_key TEXT NOT NULL,
        cache_key TEXT,
        cache_expiration INTEGER,
        task_version TEXT,
        empirical_policy TEXT NOT NULL,
        tags TEXT NOT NULL,
        labels TEXT NOT NULL,
        task_inputs TEXT NOT NULL,
        state_id TEXT,
        state_type TEXT,
        state_name TEXT,
        state_timestamp INTEGER,
        run_count INTEGER NOT NULL,
        flow_run_run_count INTEGER NOT NULL,
        expected_start_time INTEGER,
        next_scheduled_start_time INTEGER,
        start_time INTEGER,
        end_time INTEGER,
        total_run_time INTEGER NOT NULL,
        PRIMARY KEY (ws, id)
      );
      CREATE UNIQUE INDEX task_runs_key ON task_runs (ws, flow_run_id, task_key, dynamic_key);
      CREATE INDEX task_runs_expected_start ON task_runs (ws, expected_start_time);
      CREATE TABLE task_run_states (
        ws INTEGER NOT NULL,
        id TEXT NOT NULL,
        task_run_id TEXT NOT NULL,
        type TEXT NOT NULL,
        name TEXT NOT NULL,
        timestamp INTEGER NOT NULL,
        message TEXT,
        data TEXT,
        state_details TEXT NOT NULL,
        PRIMARY KEY (ws, id)
      );
      CREATE INDEX task_run_states_run ON task_run_states (ws, task_run_id, timestamp);
      CREATE TABLE artifacts (
        ws INTEGER NOT NULL,
        id TEXT NOT NULL,
        created INTEGER NOT NULL,
        updated INTEGER NOT NULL,
        key TEXT,
        type TEXT,
        description TEXT,
        data TEXT,
        metadata TEXT,
        flow_run_id TEXT,
        task_run_id TEXT,
        PRIMARY KEY (ws, id)
      );
      CREATE INDEX artifacts_flow_run ON artifacts (ws, flow_run_id);
      CREATE INDEX artifacts_task_run ON artifacts (ws, task_run_id);
      CREATE INDEX artifacts_key ON artifacts (ws, key, created);
    `,
};
