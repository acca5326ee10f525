/** PostgreSQL: run rows (jsonb comes back parsed, int8 as numbers) to domain values, and state rows. */
import type { FlowRunRow } from '../../domain/runs/flow-runs.ts';
import type { FlowRow } from '../../domain/runs/flows.ts';
import type { StateRow, StateType } from '../../domain/runs/states.ts';
import type { TaskRunRow } from '../../domain/runs/task-runs.ts';
import type { Queryable, Row } from './db.ts';

/** A JSON value as a jsonb parameter (`pg` would turn arrays into PostgreSQL arrays). */
export function json(v: unknown): string {
  return JSON.stringify(v === undefined ? null : v);
}

const STATE_COLS =
  's.type AS s_type, s.name AS s_name, s."timestamp" AS s_timestamp, s.message AS s_message, s.data AS s_data, s.state_details AS s_details';

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
    data: r.s_data ?? null,
    state_details: r.s_details as StateRow['state_details'],
  };
}

export function toState(r: Row): StateRow {
  return {
    id: r.id as string,
    type: r.type as StateType,
    name: r.name as string,
    timestamp: r.timestamp as number,
    message: r.message as string | null,
    data: r.data ?? null,
    state_details: r.state_details as StateRow['state_details'],
  };
}

export function toFlow(r: Row): FlowRow {
  return {
    id: r.id as string,
    created: r.created as number,
    updated: r.updated as number,
    name: r.name as string,
    tags: r.tags as string[],
    labels: r.labels as FlowRow['labels'],
  };
}

export function toFlowRun(r: Row): FlowRunRow {
  const x = r as unknown as FlowRunRow & { s_type?: unknown };
  return {
    id: x.id,
    created: x.created,
    updated: x.updated,
    name: x.name,
    flow_id: x.flow_id,
    deployment_id: x.deployment_id,
    deployment_version: x.deployment_version,
    work_queue_id: x.work_queue_id,
    work_queue_name: x.work_queue_name,
    flow_version: x.flow_version,
    parameters: x.parameters,
    idempotency_key: x.idempotency_key,
    context: x.context,
    empirical_policy: x.empirical_policy,
    tags: x.tags,
    labels: x.labels,
    parent_task_run_id: x.parent_task_run_id,
    auto_scheduled: x.auto_scheduled,
    infrastructure_document_id: x.infrastructure_document_id,
    infrastructure_pid: x.infrastructure_pid,
    created_by: x.created_by ?? null,
    work_pool_id: x.work_pool_id,
    work_pool_name: x.work_pool_name,
    job_variables: x.job_variables ?? null,
    state_id: x.state_id,
    state_type: x.state_type,
    state_name: x.state_name,
    state_timestamp: x.state_timestamp,
    run_count: x.run_count,
    expected_start_time: x.expected_start_time,
    next_scheduled_start_time: x.next_scheduled_start_time,
    start_time: x.start_time,
    end_time: x.end_time,
    total_run_time: x.total_run_time,
    state: joinedState(r),
  };
}

export function toTaskRun(r: Row): TaskRunRow {
  const x = r as unknown as TaskRunRow;
  return {
    id: x.id,
    created: x.created,
    updated: x.updated,
    name: x.name,
    flow_run_id: x.flow_run_id,
    task_key: x.task_key,
    dynamic_key: x.dynamic_key,
    cache_key: x.cache_key,
    cache_expiration: x.cache_expiration,
    task_version: x.task_version,
    empirical_policy: x.empirical_policy,
    tags: x.tags,
    labels: x.labels,
    task_inputs: x.task_inputs,
    flow_run_run_count: x.flow_run_run_count,
    state_id: x.state_id,
    state_type: x.state_type,
    state_name: x.state_name,
    state_timestamp: x.state_timestamp,
    run_count: x.run_count,
    expected_start_time: x.expected_start_time,
    next_scheduled_start_time: x.next_scheduled_start_time,
    start_time: x.start_time,
    end_time: x.end_time,
    total_run_time: x.total_run_time,
    state: joinedState(r),
  };
}

type StateTable = 'flow_run_states' | 'task_run_states';

/** Inserts a state; a state id already there is kept. */
export async function insertState(c: Queryable, table: StateTable, ws: number, runId: string, s: StateRow): Promise<void> {
  const runCol = table === 'flow_run_states' ? 'flow_run_id' : 'task_run_id';
  await c.query(
    `INSERT INTO ${table} (ws, id, ${runCol}, type, name, "timestamp", message, data, state_details)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb) ON CONFLICT (ws, id) DO NOTHING`,
    [ws, s.id, runId, s.type, s.name, s.timestamp, s.message, json(s.data), json(s.state_details)],
  );
}

export async function readStates(c: Queryable, table: StateTable, ws: number, runId: string): Promise<StateRow[]> {
  const runCol = table === 'flow_run_states' ? 'flow_run_id' : 'task_run_id';
  const r = await c.query(`SELECT * FROM ${table} WHERE ws = $1 AND ${runCol} = $2 ORDER BY "timestamp", id`, [ws, runId]);
  return (r.rows as Row[]).map(toState);
}

export async function readState(c: Queryable, table: StateTable, ws: number, id: string): Promise<StateRow | undefined> {
  const r = await c.query(`SELECT * FROM ${table} WHERE ws = $1 AND id = $2`, [ws, id]);
  return r.rows[0] ? toState(r.rows[0]) : undefined;
}
