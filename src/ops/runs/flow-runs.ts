/** Flow runs: create, read, update, labels, delete, filter, count, state history. */
import { AppError, notFound } from '../../domain/errors.ts';
import { uuid7 } from '../../domain/ids.ts';
import {
  checkParametersSize,
  type FlowRunCreate,
  type FlowRunRow,
  type FlowRunUpdate,
} from '../../domain/runs/flow-runs.ts';
import { withScheduledTime } from '../../domain/runs/orchestration.ts';
import { normalizeFlowRunPolicy } from '../../domain/runs/policies.ts';
import { randomRunName } from '../../domain/runs/slugs.ts';
import { makeState, type StateRow } from '../../domain/runs/states.ts';
import { withSubflowDetails } from '../../domain/runs/subflows.ts';
import { nowMicros } from '../../domain/time.ts';
import type { Infer } from '../../lib/schema.ts';
import { type OpContext, storeOf } from '../context.ts';
import { filtersOf, type flowRunCountBodySchema, type flowRunFilterBodySchema, runQueryOf } from './bodies.ts';
import { emitFlowRunStateEvent } from './flow-run-events.ts';

export async function createFlowRun(
  ctx: OpContext,
  input: FlowRunCreate,
  opts: { retryOf?: string } = {},
): Promise<{ run: FlowRunRow; created: boolean }> {
  const store = storeOf(ctx.services);
  const ws = ctx.workspace.id;
  checkParametersSize(input.parameters, ['body', 'parameters']);
  const flow = await store.flows.get(ws, input.flow_id);
  if (!flow) throw new AppError('not_found', `Flow with id ${input.flow_id} not found`);
  const now = nowMicros();
  const id = uuid7();
  const proposed = withSubflowDetails(
    withScheduledTime(input.state ?? makeState('PENDING'), now),
    id,
    input.parent_task_run_id ?? null,
  );
  const initial: StateRow = { ...proposed, id: uuid7(), timestamp: now };
  const result = await store.flowRuns.create(
    ws,
    {
      id,
      created: now,
      updated: now,
      name: input.name ?? randomRunName(),
      flow_id: flow.id,
      deployment_id: input.deployment_id ?? null,
      deployment_version: null,
      work_queue_id: null,
      work_queue_name: input.work_queue_name ?? null,
      work_pool_id: null,
      work_pool_name: input.work_pool_name ?? null,
      flow_version: input.flow_version ?? null,
      parameters: input.parameters,
      idempotency_key: input.idempotency_key ?? null,
      context: input.context,
      empirical_policy: normalizeFlowRunPolicy(input.empirical_policy),
      tags: input.tags,
      // Prefect: the flow's labels, then the system label, then the run's own.
      labels: { ...flow.labels, 'prefect.flow.id': flow.id, ...(input.labels ?? {}) },
      parent_task_run_id: input.parent_task_run_id ?? null,
      auto_scheduled: false,
      infrastructure_document_id: input.infrastructure_document_id ?? null,
      infrastructure_pid: null,
      created_by: null,
      job_variables: input.job_variables ?? {},
      retry_of: opts.retryOf ?? null,
    },
    initial,
  );
  // The forced initial state is a transition like any other: it gets its event.
  if (result.created) await emitFlowRunStateEvent(ctx, result.run, null, initial, initial.type);
  return result;
}

export async function readFlowRun(ctx: OpContext, id: string): Promise<FlowRunRow> {
  const run = await storeOf(ctx.services).flowRuns.get(ctx.workspace.id, id);
  if (!run) throw notFound('Flow run');
  return run;
}

export async function updateFlowRun(ctx: OpContext, id: string, input: FlowRunUpdate): Promise<void> {
  if (input.parameters) checkParametersSize(input.parameters, ['body', 'parameters']);
  const ok = await storeOf(ctx.services).flowRuns.update(ctx.workspace.id, id, {
    updated: nowMicros(),
    name: input.name,
    flow_version: input.flow_version,
    parameters: input.parameters,
    empirical_policy: input.empirical_policy ? normalizeFlowRunPolicy(input.empirical_policy) : undefined,
    tags: input.tags,
    infrastructure_pid: input.infrastructure_pid,
    job_variables: input.job_variables,
  });
  if (!ok) throw notFound('Flow run');
}

export async function mergeFlowRunLabels(ctx: OpContext, id: string, labels: Record<string, unknown>): Promise<void> {
  if (!(await storeOf(ctx.services).flowRuns.mergeLabels(ctx.workspace.id, id, labels, nowMicros())))
    throw notFound('Flow run');
}

/** The most task runs of one flow run whose logs a delete looks up (pages of 200). */
const DELETE_TASK_SCAN_MAX = 100_000;

/**
 * Deletes a flow run and what belongs to it: logs, task runs, states, artifacts. Events are kept,
 * as in Prefect. Logs go first: if the process stops in between, the run is still there and the
 * delete can be repeated.
 */
export async function deleteFlowRun(ctx: OpContext, id: string): Promise<void> {
  const store = storeOf(ctx.services);
  const ws = ctx.workspace.id;
  if (!(await store.flowRuns.get(ws, id))) throw notFound('Flow run');
  const taskRunIds: string[] = [];
  for (let offset = 0; offset < DELETE_TASK_SCAN_MAX; offset += 200) {
    const page = await store.taskRuns.filter(ws, {
      filters: { task_runs: { operator: 'and_', flow_run_id: { operator: 'and_', any_: [id], is_null_: false } } },
      sort: 'ID_DESC',
      limit: 200,
      offset,
      now: 0,
    });
    taskRunIds.push(...page.map((t) => t.id));
    if (page.length < 200) break;
  }
  await store.logs.deleteForRuns(ws, { flowRunIds: [id], taskRunIds });
  if (!(await store.flowRuns.delete(ws, id))) throw notFound('Flow run');
}

export function filterFlowRuns(ctx: OpContext, body: Infer<typeof flowRunFilterBodySchema>): Promise<FlowRunRow[]> {
  return storeOf(ctx.services).flowRuns.filter(ctx.workspace.id, runQueryOf(body));
}

export function countFlowRuns(ctx: OpContext, body: Infer<typeof flowRunCountBodySchema>): Promise<number> {
  return storeOf(ctx.services).flowRuns.count(ctx.workspace.id, filtersOf(body));
}

export function flowRunStates(ctx: OpContext, flowRunId: string): Promise<StateRow[]> {
  return storeOf(ctx.services).flowRuns.states(ctx.workspace.id, flowRunId);
}

export async function readFlowRunState(ctx: OpContext, id: string): Promise<StateRow> {
  const s = await storeOf(ctx.services).flowRuns.getState(ctx.workspace.id, id);
  if (!s) throw notFound('Flow run state');
  return s;
}
