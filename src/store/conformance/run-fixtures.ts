/** Builders for the run conformance suites: valid rows with overridable fields. */
import { uuid7 } from '../../domain/ids.ts';
import type { ArtifactRow } from '../../domain/runs/artifacts.ts';
import type { RunFilterSet, RunQuery } from '../../domain/runs/filters.ts';
import type { NewFlowRun } from '../../domain/runs/flow-runs.ts';
import type { FlowRow } from '../../domain/runs/flows.ts';
import { normalizeFlowRunPolicy, normalizeTaskRunPolicy } from '../../domain/runs/policies.ts';
import { makeState, type StateRow, type StateType } from '../../domain/runs/states.ts';
import type { TaskRunEventRecord } from '../../domain/runs/task-run-recorder.ts';
import type { NewTaskRun } from '../../domain/runs/task-runs.ts';
import type { Workspace } from '../../domain/tenancy.ts';
import type { Store } from '../contract.ts';
import type { OpenTestStore } from './index.ts';

export const T0 = 1_714_564_800_000_000; // 2024-05-01T12:00:00Z
export const SEC = 1_000_000;

export function flow(name: string, over: Partial<FlowRow> = {}): FlowRow {
  return { id: uuid7(), created: T0, updated: T0, name, tags: [], labels: {}, ...over };
}

export function flowRun(flowId: string, over: Partial<NewFlowRun> = {}): NewFlowRun {
  return {
    id: uuid7(),
    created: T0,
    updated: T0,
    name: 'run',
    flow_id: flowId,
    deployment_id: null,
    deployment_version: null,
    work_queue_id: null,
    work_queue_name: null,
    flow_version: null,
    parameters: {},
    idempotency_key: null,
    context: {},
    empirical_policy: normalizeFlowRunPolicy(undefined),
    tags: [],
    labels: {},
    parent_task_run_id: null,
    auto_scheduled: false,
    infrastructure_document_id: null,
    infrastructure_pid: null,
    created_by: null,
    work_pool_id: null,
    work_pool_name: null,
    job_variables: {},
    retry_of: null,
    ...over,
  };
}

/** The task-run fields a fixture leaves unset (no cache, version, policy, tags, labels or inputs). */
function taskRunDefaults() {
  return {
    cache_key: null,
    cache_expiration: null,
    task_version: null,
    empirical_policy: normalizeTaskRunPolicy(undefined),
    tags: [],
    labels: {},
    task_inputs: {},
  };
}

export function taskRun(flowRunId: string | null, key: string, over: Partial<NewTaskRun> = {}): NewTaskRun {
  return {
    id: uuid7(),
    created: T0,
    updated: T0,
    name: `${key}-abc`,
    flow_run_id: flowRunId,
    task_key: key,
    dynamic_key: '0',
    ...taskRunDefaults(),
    flow_run_run_count: 0,
    ...over,
  };
}

export function state(
  type: StateType,
  timestamp: number,
  over: { name?: string; id?: string; runId?: string; taskRunId?: string } = {},
): StateRow {
  return {
    ...makeState(type, {
      name: over.name,
      details: {
        flow_run_id: over.runId ?? null,
        task_run_id: over.taskRunId ?? null,
        scheduled_time: type === 'SCHEDULED' ? timestamp : null,
      },
    }),
    id: over.id ?? uuid7(),
    timestamp,
  };
}

export function artifact(over: Partial<ArtifactRow> = {}): ArtifactRow {
  return {
    id: uuid7(),
    created: T0,
    updated: T0,
    key: null,
    type: 'markdown',
    description: null,
    data: '# hi',
    metadata_: null,
    flow_run_id: null,
    task_run_id: null,
    ...over,
  };
}

/** A recorder record as `taskRunRecordFromEvent` would produce it. */
export function record(
  taskRunId: string,
  flowRunId: string | null,
  type: StateType,
  at: number,
  over: { id?: string; name?: string; runCount?: number; key?: string; dynamicKey?: string; stateName?: string } = {},
): TaskRunEventRecord {
  return {
    taskRunId,
    flowRunId,
    taskRun: {
      name: over.name ?? 'extract-79c',
      task_key: over.key ?? 'extract-3de472e5',
      dynamic_key: over.dynamicKey ?? '79c',
      ...taskRunDefaults(),
      run_count: over.runCount ?? (type === 'PENDING' ? 0 : 1),
      flow_run_run_count: 1,
      expected_start_time: T0,
      next_scheduled_start_time: null,
      start_time: type === 'PENDING' ? null : T0 + SEC,
      end_time: type === 'COMPLETED' ? at : null,
      total_run_time: type === 'COMPLETED' ? at - T0 - SEC : 0,
    },
    state: state(type, at, { id: over.id, name: over.stateName, runId: flowRunId ?? undefined, taskRunId }),
  };
}

export function query<S extends string>(
  sort: S,
  filters: RunFilterSet = {},
  over: Partial<RunQuery<S>> = {},
): RunQuery<S> {
  return { filters, sort, limit: 200, offset: 0, now: T0 + 3600 * SEC, ...over };
}

/** Runs `fn` on a fresh store with its default account and workspace, and closes the store. */
export async function withAccountStore(
  open: OpenTestStore,
  fn: (store: Store, account: string, ws: string) => Promise<void>,
): Promise<void> {
  const store = await open();
  try {
    const { account, workspace } = await store.tenancy.ensureDefaults();
    await fn(store, account.id, workspace.id);
  } finally {
    await store.close();
  }
}

export function withStore(open: OpenTestStore, fn: (store: Store, ws: string) => Promise<void>): Promise<void> {
  return withAccountStore(open, (store, _account, ws) => fn(store, ws));
}

/** A second workspace in the default account, for tests that keep tenants apart. */
export async function otherWorkspace(store: Store, handle = 'b', name = 'B'): Promise<Workspace> {
  const { account } = await store.tenancy.ensureDefaults();
  return store.tenancy.createWorkspace({ accountId: account.id, name, handle, description: null });
}
