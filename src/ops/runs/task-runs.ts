/** Task runs: create (get-or-create), read, rename, delete, filter, count, state history, recorder. */
import { notFound } from '../../domain/errors.ts';
import { uuid7 } from '../../domain/ids.ts';
import { withScheduledTime } from '../../domain/runs/orchestration.ts';
import { normalizeTaskRunPolicy } from '../../domain/runs/policies.ts';
import { randomRunName } from '../../domain/runs/slugs.ts';
import { makeState, type StateRow } from '../../domain/runs/states.ts';
import type { TaskRunCreate, TaskRunRow } from '../../domain/runs/task-runs.ts';
import { nowMicros } from '../../domain/time.ts';
import type { Infer } from '../../lib/schema.ts';
import { type OpContext, storeOf } from '../context.ts';
import { filtersOf, runQueryOf, type taskRunCountBodySchema, type taskRunFilterBodySchema } from './bodies.ts';

export async function createTaskRun(
  ctx: OpContext,
  input: TaskRunCreate,
): Promise<{ run: TaskRunRow; created: boolean }> {
  const store = storeOf(ctx.services);
  const ws = ctx.workspace.id;
  const id = input.id ?? uuid7();
  const flowRunId = input.flow_run_id ?? null;
  const flowRun = flowRunId ? await store.flowRuns.get(ws, flowRunId) : undefined;
  const now = nowMicros();
  const proposed = withScheduledTime(input.state ?? makeState('PENDING'), now);
  const initial: StateRow = {
    ...proposed,
    state_details: { ...proposed.state_details, flow_run_id: flowRunId, task_run_id: id },
    id: uuid7(),
    timestamp: now,
  };
  // Prefect: the flow run's labels, then the system labels, then the task run's own.
  const system: Record<string, string> = {};
  if (flowRun) system['prefect.flow.id'] = flowRun.flow_id;
  if (flowRunId) system['prefect.flow-run.id'] = flowRunId;
  return store.taskRuns.create(
    ws,
    {
      id,
      created: now,
      updated: now,
      name: input.name ?? randomRunName(),
      flow_run_id: flowRunId,
      task_key: input.task_key,
      dynamic_key: input.dynamic_key,
      cache_key: input.cache_key ?? null,
      cache_expiration: input.cache_expiration ?? null,
      task_version: input.task_version ?? null,
      empirical_policy: normalizeTaskRunPolicy(input.empirical_policy),
      tags: input.tags,
      labels: { ...(flowRun?.labels ?? {}), ...system, ...(input.labels ?? {}) },
      task_inputs: input.task_inputs,
      flow_run_run_count: 0,
    },
    initial,
  );
}

export async function readTaskRun(ctx: OpContext, id: string): Promise<TaskRunRow> {
  const run = await storeOf(ctx.services).taskRuns.get(ctx.workspace.id, id);
  if (!run) throw notFound('Task');
  return run;
}

export async function renameTaskRun(ctx: OpContext, id: string, name: string | undefined): Promise<void> {
  const store = storeOf(ctx.services);
  const ok =
    name === undefined
      ? (await store.taskRuns.get(ctx.workspace.id, id)) !== undefined
      : await store.taskRuns.rename(ctx.workspace.id, id, name, nowMicros());
  if (!ok) throw notFound('Task');
}

/** Deletes a task run with its logs, states and artifacts (logs first, so a repeat can finish it). */
export async function deleteTaskRun(ctx: OpContext, id: string): Promise<void> {
  const store = storeOf(ctx.services);
  const ws = ctx.workspace.id;
  if (!(await store.taskRuns.get(ws, id))) throw notFound('Task');
  await store.logs.deleteForRuns(ws, { flowRunIds: [], taskRunIds: [id] });
  if (!(await store.taskRuns.delete(ws, id))) throw notFound('Task');
}

export function filterTaskRuns(
  ctx: OpContext,
  body: Infer<ReturnType<typeof taskRunFilterBodySchema>>,
): Promise<TaskRunRow[]> {
  return storeOf(ctx.services).taskRuns.filter(ctx.workspace.id, runQueryOf(body));
}

export function countTaskRuns(ctx: OpContext, body: Infer<typeof taskRunCountBodySchema>): Promise<number> {
  return storeOf(ctx.services).taskRuns.count(ctx.workspace.id, filtersOf(body));
}

export function taskRunStates(ctx: OpContext, taskRunId: string): Promise<StateRow[]> {
  return storeOf(ctx.services).taskRuns.states(ctx.workspace.id, taskRunId);
}

export async function readTaskRunState(ctx: OpContext, id: string): Promise<StateRow> {
  const s = await storeOf(ctx.services).taskRuns.getState(ctx.workspace.id, id);
  if (!s) throw notFound('Task run state');
  return s;
}
