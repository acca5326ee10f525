/** SQLite: converting run rows (JSON in TEXT, booleans as 1/0) to domain values and back. */
import type { FlowRunRow } from '../../domain/runs/flow-runs.ts';
import type { FlowRow } from '../../domain/runs/flows.ts';
import type { StateRow, StateType } from '../../domain/runs/states.ts';
import type { TaskRunRow } from '../../domain/runs/task-runs.ts';
import type { Db } from './db.ts';

export type Row = Record<string, unknown>;
export type SqlValue = string | number | null;

export function json(v: unknown): string {
  return JSON.stringify(v === undefined ? null : v);
}

function parse<T>(v: unknown): T {
  return (typeof v === 'string' ? JSON.parse(v) : null) as T;
}

const STATE_COLS = 's.type AS s_type, s.name AS s_name, s.timestamp AS s_timestamp, s.message AS s_message, s.data AS s_data, s.state_details AS s_details';

export const FLOW_RUN_SELECT = `SELECT fr.*, ${STATE_COLS} FROM flow_runs fr LEFT JOIN flow_run_states s ON s.ws = fr.ws AND s.id = fr.state_id`;
export const TASK_RUN_SELECT = `SELECT tr.*, ${STATE_COLS} FROM task_runs tr LEFT JOIN task_run_states s ON s.ws = tr.ws AND s.id = tr.state_id`;

function joinedState(r: Row): StateRow | null {
  if (r.state_id === null || r.s_type === null || r.s_type === undefined) return null;
  return {
    id: r.state_id as string,
    type: r.s_type as StateType,
    name: r.s_name as string,
    timestamp: r.s_timestamp as number,
    message: r.s_message as string | null,
    data: parse(r.s_data),
    state_details: parse(r.s_details),
  };
}

export function toState(r: Row): StateRow {
  return {
    id: r.id as string,
    type: r.type as StateType,
    name: r.name as string,
    timestamp: r.timestamp as number,
    message: r.message as string | null,
    data: parse(r.data),
    state_details: parse(r.state_details),
  };
}

export function toFlow(r: Row): FlowRow {
  return {
    id: r.id as string,
    created: r.created as number,
    updated: r.updated as number,
    name: r.name as string,
    tags: parse(r.tags),
    labels: parse(r.labels),
  };
}

export function toFlowRun(r: Row): FlowRunRow {
  return {
    id: r.id as string,
    created: r.created as number,
    updated: r.updated as number,
    name: r.name as string,
    flow_id: r.flow_id as string,
    deployment_id: r.deployment_id as string | null,
    deployment_version: r.deployment_version as string | null,
    work_queue_id: r.work_queue_id as string | null,
    work_queue_name: r.work_queue_name as string | null,
    flow_version: r.flow_version as string | null,
    parameters: parse(r.parameters),
    idempotency_key: r.idempotency_key as string | null,
    context: parse(r.context),
    empirical_policy: parse(r.empirical_policy),
    tags: parse(r.tags),
    labels: parse(r.labels),
    parent_task_run_id: r.parent_task_run_id as string | null,
    auto_scheduled: r.auto_scheduled === 1,
    infrastructure_document_id: r.infrastructure_document_id as string | null,
    infrastructure_pid: r.infrastructure_pid as string | null,
    created_by: parse(r.created_by),
    work_pool_id: r.work_pool_id as string | null,
    work_pool_name: r.work_pool_name as string | null,
    job_variables: parse(r.job_variables),
    state_id: r.state_id as string | null,
    state_type: r.state_type as StateType | null,
    state_name: r.state_name as string | null,
    state_timestamp: r.state_timestamp as number | null,
    run_count: r.run_count as number,
    expected_start_time: r.expected_start_time as number | null,
    next_scheduled_start_time: r.next_scheduled_start_time as number | null,
    start_time: r.start_time as number | null,
    end_time: r.end_time as number | null,
    total_run_time: r.total_run_time as number,
    state: joinedState(r),
  };
}

export function toTaskRun(r: Row): TaskRunRow {
  return {
    id: r.id as string,
    created: r.created as number,
    updated: r.updated as number,
    name: r.name as string,
    flow_run_id: r.flow_run_id as string | null,
    task_key: r.task_key as string,
    dynamic_key: r.dynamic_key as string,
    cache_key: r.cache_key as string | null,
    cache_expiration: r.cache_expiration as number | null,
    task_version: r.task_version as string | null,
    empirical_policy: parse(r.empirical_policy),
    tags: parse(r.tags),
    labels: parse(r.labels),
    task_inputs: parse(r.task_inputs),
    flow_run_run_count: r.flow_run_run_count as number,
    state_id: r.state_id as string | null,
    state_type: r.state_type as StateType | null,
    state_name: r.state_name as string | null,
    state_timestamp: r.state_timestamp as number | null,
    run_count: r.run_count as number,
    expected_start_time: r.expected_start_time as number | null,
    next_scheduled_start_time: r.next_scheduled_start_time as number | null,
    start_time: r.start_time as number | null,
    end_time: r.end_time as number | null,
    total_run_time: r.total_run_time as number,
    state: joinedState(r),
  };
}

/** Inserts a state into `flow_run_states` or `task_run_states`; a state id already there is kept. */
export function insertState(db: Db, table: 'flow_run_states' | 'task_run_states', ws: number, runId: string, s: StateRow): void {
  const runCol = table === 'flow_run_states' ? 'flow_run_id' : 'task_run_id';
  db.stmt(
    `INSERT INTO ${table} (ws, id, ${runCol}, type, name, timestamp, message, data, state_details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (ws, id) DO NOTHING`,
  ).run(ws, s.id, runId, s.type, s.name, s.timestamp, s.message, json(s.data), json(s.state_details));
}

export function readStates(db: Db, table: 'flow_run_states' | 'task_run_states', ws: number, runId: string): StateRow[] {
  const runCol = table === 'flow_run_states' ? 'flow_run_id' : 'task_run_id';
  return (db.stmt(`SELECT * FROM ${table} WHERE ws = ? AND ${runCol} = ? ORDER BY timestamp, id`).all(ws, runId) as Row[]).map(toState);
}

export function readState(db: Db, table: 'flow_run_states' | 'task_run_states', ws: number, id: string): StateRow | undefined {
  const r = db.stmt(`SELECT * FROM ${table} WHERE ws = ? AND id = ?`).get(ws, id) as Row | undefined;
  return r ? toState(r) : undefined;
}
