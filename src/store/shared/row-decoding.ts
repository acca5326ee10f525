/**
 * Rows of the run, state, artifact and span tables → domain values, for every engine. The engines store the
 * same columns and differ only in how JSON and booleans come back (SQLite: JSON text and 0/1;
 * PostgreSQL: decoded jsonb and booleans), which each engine says with its `ColumnCodec`.
 */
import type { ArtifactRow } from '../../domain/runs/artifacts.ts';
import type { Labels } from '../../domain/runs/common.ts';
import type { FlowRunRow } from '../../domain/runs/flow-runs.ts';
import type { FlowRow } from '../../domain/runs/flows.ts';
import type { StateRow, StateType } from '../../domain/runs/states.ts';
import type { TaskRunRow } from '../../domain/runs/task-runs.ts';
import type { SpanRow, SpanType } from '../../domain/spans/span.ts';
import type { Workspace } from '../../domain/tenancy.ts';

export type Row = Record<string, unknown>;

/**
 * A stored 64-bit integer as a number: exact within ±(2^53−1), else clamped to that bound. Rows
 * written before Sightline bounded every time and integer (`TIME_MIN..TIME_MAX`, `int()`) read
 * back clamped on both engines instead of failing the read.
 */
export function clampInt8(v: bigint | string): number {
  const n = Number(v);
  return n > Number.MAX_SAFE_INTEGER
    ? Number.MAX_SAFE_INTEGER
    : n < Number.MIN_SAFE_INTEGER
      ? Number.MIN_SAFE_INTEGER
      : n;
}

export interface ColumnCodec {
  /** A JSON column's value (null stays null). */
  json<T>(v: unknown): T;
  bool(v: unknown): boolean;
}

/** The columns of a run's current state joined in as `s_<column>` (`s` is the state table). */
export const JOINED_STATE_COLUMNS = ['type', 'name', 'timestamp', 'message', 'data', 'state_details'] as const;

export interface RowDecoders {
  toArtifact(r: Row): ArtifactRow;
  toState(r: Row): StateRow;
  toFlow(r: Row): FlowRow;
  toFlowRun(r: Row): FlowRunRow;
  toTaskRun(r: Row): TaskRunRow;
  toSpan(r: Row): SpanRow;
  toWorkspace(r: Row): Workspace;
}

export function rowDecoders(c: ColumnCodec): RowDecoders {
  const state = (r: Row, id: unknown, p: '' | 's_'): StateRow => ({
    id: id as string,
    type: r[`${p}type`] as StateType,
    name: r[`${p}name`] as string,
    timestamp: r[`${p}timestamp`] as number,
    message: r[`${p}message`] as string | null,
    data: c.json(r[`${p}data`]),
    state_details: c.json(r[`${p}state_details`]),
  });
  /** The current state joined in by the engine's run SELECT; null without one. */
  const joinedState = (r: Row) =>
    r.state_id === null || r.s_type === null || r.s_type === undefined ? null : state(r, r.state_id, 's_');
  /** The columns flow and task runs share. */
  const runCommon = (r: Row) => ({
    id: r.id as string,
    created: r.created as number,
    updated: r.updated as number,
    name: r.name as string,
    tags: c.json<string[]>(r.tags),
    labels: c.json<Labels>(r.labels),
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
  });
  return {
    toArtifact: (r) => ({
      id: r.id as string,
      created: r.created as number,
      updated: r.updated as number,
      key: r.key as string | null,
      type: r.type as string | null,
      description: r.description as string | null,
      data: c.json(r.data),
      metadata_: c.json(r.metadata),
      flow_run_id: r.flow_run_id as string | null,
      task_run_id: r.task_run_id as string | null,
    }),
    toState: (r) => state(r, r.id, ''),
    toWorkspace: (r) => ({
      id: r.id as string,
      accountId: r.account_id as string,
      name: r.name as string,
      handle: r.handle as string,
      description: r.description as string | null,
      isDefault: c.bool(r.is_default),
      created: r.created as number,
    }),
    toFlow: (r) => ({
      id: r.id as string,
      created: r.created as number,
      updated: r.updated as number,
      name: r.name as string,
      tags: c.json(r.tags),
      labels: c.json(r.labels),
    }),
    toFlowRun: (r) => ({
      ...runCommon(r),
      flow_id: r.flow_id as string,
      empirical_policy: c.json(r.empirical_policy),
      deployment_id: r.deployment_id as string | null,
      deployment_version: r.deployment_version as string | null,
      work_queue_id: r.work_queue_id as string | null,
      work_queue_name: r.work_queue_name as string | null,
      flow_version: r.flow_version as string | null,
      parameters: c.json(r.parameters),
      idempotency_key: r.idempotency_key as string | null,
      context: c.json(r.context),
      parent_task_run_id: r.parent_task_run_id as string | null,
      retry_of: (r.retry_of ?? null) as string | null,
      auto_scheduled: c.bool(r.auto_scheduled),
      infrastructure_document_id: r.infrastructure_document_id as string | null,
      infrastructure_pid: r.infrastructure_pid as string | null,
      created_by: c.json(r.created_by),
      work_pool_id: r.work_pool_id as string | null,
      work_pool_name: r.work_pool_name as string | null,
      job_variables: c.json(r.job_variables),
    }),
    toTaskRun: (r) => ({
      ...runCommon(r),
      flow_run_id: r.flow_run_id as string | null,
      empirical_policy: c.json(r.empirical_policy),
      task_key: r.task_key as string,
      dynamic_key: r.dynamic_key as string,
      cache_key: r.cache_key as string | null,
      cache_expiration: r.cache_expiration as number | null,
      task_version: r.task_version as string | null,
      task_inputs: c.json(r.task_inputs),
      flow_run_run_count: r.flow_run_run_count as number,
    }),
    // `path`, `attributes` and `child_state_counts` are JSON text on every engine (span-columns.ts).
    toSpan: (r) => ({
      span_id: r.span_id as string,
      trace_id: r.trace_id as string,
      parent_span_id: r.parent_span_id as string | null,
      path: JSON.parse(r.path as string),
      depth: r.depth as number,
      span_type: r.span_type as SpanType,
      name: r.name as string,
      start_time: r.start_time as number | null,
      end_time: r.end_time as number | null,
      total_run_time: r.total_run_time as number | null,
      state_type: r.state_type as StateType | null,
      state_name: r.state_name as string | null,
      state_timestamp: r.state_timestamp as number | null,
      tags: c.json(r.tags),
      attributes: JSON.parse(r.attributes as string),
      version: r.version as number,
      published: r.published as number,
      child_count: r.child_count as number,
      child_state_counts: JSON.parse(r.child_state_counts as string),
    }),
  };
}
