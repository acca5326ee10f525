/**
 * A run's stored column values, shared by every engine (as `span-columns.ts` is for spans): what
 * creating a run, changing its state and recording a task run's newer state write, with JSON
 * serialised one way. Each engine turns a column record into a statement in its own SQL.
 */
import type { RunTiming } from '../../domain/runs/bookkeeping.ts';
import type { NewFlowRun } from '../../domain/runs/flow-runs.ts';
import type { StateRow } from '../../domain/runs/states.ts';
import type { NewTaskRun } from '../../domain/runs/task-runs.ts';
import type { FlowRunPatch } from '../contract.ts';

export type ColumnValue = string | number | boolean | null;
/** Column name → value, in the order the statement lists them. */
export type Columns = Record<string, ColumnValue>;

/** The JSON columns of the run tables (PostgreSQL casts their parameters to jsonb). */
export const RUN_JSON_COLUMNS: ReadonlySet<string> = new Set([
  'parameters',
  'context',
  'empirical_policy',
  'tags',
  'labels',
  'created_by',
  'job_variables',
  'task_inputs',
  'data',
  'state_details',
]);

/** A JSON value as stored (`undefined` as JSON null). */
export function json(v: unknown): string {
  return JSON.stringify(v === undefined ? null : v);
}

/** The fields bookkeeping maintains (`bookkeeping.ts`), on both run tables. */
export function timingColumns(t: RunTiming): Columns {
  return {
    state_id: t.state_id,
    state_type: t.state_type,
    state_name: t.state_name,
    state_timestamp: t.state_timestamp,
    run_count: t.run_count,
    expected_start_time: t.expected_start_time,
    next_scheduled_start_time: t.next_scheduled_start_time,
    start_time: t.start_time,
    end_time: t.end_time,
    total_run_time: t.total_run_time,
  };
}

export function flowRunColumns(ws: number, r: NewFlowRun, t: RunTiming): Columns {
  return {
    ws,
    id: r.id,
    created: r.created,
    updated: r.updated,
    name: r.name,
    flow_id: r.flow_id,
    ...timingColumns(t),
    deployment_id: r.deployment_id,
    deployment_version: r.deployment_version,
    work_queue_id: r.work_queue_id,
    work_queue_name: r.work_queue_name,
    work_pool_id: r.work_pool_id,
    work_pool_name: r.work_pool_name,
    flow_version: r.flow_version,
    parameters: json(r.parameters),
    idempotency_key: r.idempotency_key,
    context: json(r.context),
    empirical_policy: json(r.empirical_policy),
    tags: json(r.tags),
    labels: json(r.labels),
    parent_task_run_id: r.parent_task_run_id,
    auto_scheduled: r.auto_scheduled,
    infrastructure_document_id: r.infrastructure_document_id,
    infrastructure_pid: r.infrastructure_pid,
    created_by: r.created_by === null ? null : json(r.created_by),
    job_variables: r.job_variables === null ? null : json(r.job_variables),
    retry_of: r.retry_of,
  };
}

const PATCHABLE = [
  'name',
  'flow_version',
  'parameters',
  'empirical_policy',
  'tags',
  'infrastructure_pid',
  'job_variables',
] as const;

/** What `PATCH /flow_runs/{id}` writes: `updated` and the fields the patch sets. */
export function flowRunPatchColumns(patch: FlowRunPatch): Columns {
  const cols: Columns = { updated: patch.updated };
  for (const k of PATCHABLE) {
    const v = patch[k];
    if (v !== undefined) cols[k] = RUN_JSON_COLUMNS.has(k) ? json(v) : (v as string | null);
  }
  return cols;
}

/** What a task run's client-set fields and its timing write, on insert and when a newer state is recorded. */
function taskRunFields(r: NewTaskRun, t: RunTiming): Columns {
  return {
    name: r.name,
    cache_key: r.cache_key,
    cache_expiration: r.cache_expiration,
    task_version: r.task_version,
    empirical_policy: json(r.empirical_policy),
    tags: json(r.tags),
    labels: json(r.labels),
    task_inputs: json(r.task_inputs),
    flow_run_run_count: r.flow_run_run_count,
    ...timingColumns(t),
  };
}

export function taskRunColumns(ws: number, r: NewTaskRun, t: RunTiming): Columns {
  return {
    ws,
    id: r.id,
    created: r.created,
    updated: r.updated,
    flow_run_id: r.flow_run_id,
    task_key: r.task_key,
    dynamic_key: r.dynamic_key,
    ...taskRunFields(r, t),
  };
}

/** What recording a newer state of a task run (from its events) rewrites; identity and keys stay. */
export function recordedTaskRunColumns(r: NewTaskRun, t: RunTiming, updated: number): Columns {
  return { updated, ...taskRunFields(r, t) };
}

/** A row of `flow_run_states` or `task_run_states`. */
export function stateColumns(
  ws: number,
  runColumn: 'flow_run_id' | 'task_run_id',
  runId: string,
  s: StateRow,
): Columns {
  return {
    ws,
    id: s.id,
    [runColumn]: runId,
    type: s.type,
    name: s.name,
    timestamp: s.timestamp,
    message: s.message,
    data: json(s.data),
    state_details: json(s.state_details),
  };
}
