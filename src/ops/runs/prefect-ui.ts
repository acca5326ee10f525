/**
 * What Prefect's web UI asks for beyond the run CRUD (reference `prefect-ui-calls/`): run history,
 * task-run counts, next runs per flow, the task run with its flow run's name. Objects Sightline
 * does not have (deployments) count as none.
 */
import { invalidField, notFound } from '../../domain/errors.ts';
import type { RunFilterSet } from '../../domain/runs/filters.ts';
import type { FlowRunRow } from '../../domain/runs/flow-runs.ts';
import { type HistoryQuery, type HistoryRow, historyQueryOf } from '../../domain/runs/history.ts';
import { STATE_TYPES, type StateType, TERMINAL_TYPES } from '../../domain/runs/states.ts';
import type { TaskRunRow } from '../../domain/runs/task-runs.ts';
import { type Micros, nowMicros } from '../../domain/time.ts';
import { array, int, object, record } from '../../lib/schema.ts';
import { type OpContext, storeOf } from '../context.ts';

type HistoryBody = Parameters<typeof historyQueryOf>[0];

export async function runHistory(
  ctx: OpContext,
  kind: 'flow' | 'task',
  body: HistoryBody,
): Promise<{ query: HistoryQuery; rows: HistoryRow[] }> {
  const query = historyQueryOf(body, nowMicros());
  const store = storeOf(ctx.services);
  const rows = await (kind === 'flow' ? store.flowRuns : store.taskRuns).history(ctx.workspace.id, query);
  return { query, rows };
}

const FAILED: ReadonlySet<StateType> = new Set(['FAILED', 'CRASHED']);
const DASHBOARD_BUCKETS = 20;
const MINUTE = 60_000_000;

/**
 * `POST /ui/task_runs/dashboard/counts`: finished task runs that started in the window, in 20
 * buckets of `{completed, failed}` (failed = FAILED or CRASHED), the window widened to whole minutes.
 */
/** What `dashboardTaskRunCounts` answers: its buckets, oldest first. */
export const dashboardCountsSchema = array(object({ completed: int({ min: 0 }), failed: int({ min: 0 }) }));
/** `{key: count}` answers: per state type, flow run or flow. */
export const countsByKeySchema = record(int({ min: 0 }));

export async function dashboardTaskRunCounts(
  ctx: OpContext,
  filters: RunFilterSet,
): Promise<{ completed: number; failed: number }[]> {
  const window = filters.task_runs?.start_time;
  if (window?.after_ === undefined)
    throw invalidField(['body', 'task_runs', 'start_time', 'after_'], 'task_runs.start_time.after_ is required');
  const after: Micros = window.after_;
  const before: Micros | undefined = window.before_;
  const start = Math.floor(after / MINUTE) * MINUTE;
  const end = Math.floor((before ?? nowMicros()) / MINUTE) * MINUTE + MINUTE;
  const interval = Math.max(1, Math.ceil((end - start) / DASHBOARD_BUCKETS));
  const taskRuns = { ...filters.task_runs, operator: filters.task_runs?.operator ?? 'and_' } as NonNullable<
    RunFilterSet['task_runs']
  >;
  taskRuns.state = { operator: 'and_', type: { any_: [...TERMINAL_TYPES] } };
  const rows = await storeOf(ctx.services).taskRuns.history(ctx.workspace.id, {
    by: 'start_time',
    filters: { ...filters, task_runs: taskRuns },
    start,
    end,
    interval,
    now: nowMicros(),
  });
  const buckets = Array.from({ length: DASHBOARD_BUCKETS }, () => ({ completed: 0, failed: 0 }));
  for (const r of rows) {
    const b = buckets[Math.min(r.bucket, DASHBOARD_BUCKETS - 1)];
    if (FAILED.has(r.state_type)) b.failed += r.count;
    else b.completed += r.count;
  }
  return buckets;
}

/** `CountByState`: every state type with its number of task runs. */
export async function taskRunCountsByState(ctx: OpContext, filters: RunFilterSet): Promise<Record<string, number>> {
  const counts = await storeOf(ctx.services).taskRuns.countBy(ctx.workspace.id, filters, 'state_type');
  return Object.fromEntries(STATE_TYPES.map((t) => [t, counts.get(t) ?? 0]));
}

/** `{flow_run_id: n}`: task runs of each flow run, not counting those that track a subflow. */
export async function countTaskRunsByFlowRun(ctx: OpContext, flowRunIds: string[]): Promise<Record<string, number>> {
  const counts = await storeOf(ctx.services).taskRuns.countBy(
    ctx.workspace.id,
    {
      task_runs: {
        operator: 'and_',
        flow_run_id: { operator: 'and_', any_: flowRunIds, is_null_: false },
        subflow_runs: { exists_: false },
      },
    },
    'flow_run_id',
  );
  return Object.fromEntries(flowRunIds.map((id) => [id, counts.get(id) ?? 0]));
}

/** `{flow_id: run}`: each flow's SCHEDULED run due first, or null. */
export async function nextRunsByFlow(ctx: OpContext, flowIds: string[]): Promise<Record<string, FlowRunRow | null>> {
  const store = storeOf(ctx.services);
  const out: Record<string, FlowRunRow | null> = {};
  for (const id of flowIds) {
    const [run] = await store.flowRuns.filter(ctx.workspace.id, {
      filters: {
        flow_runs: {
          operator: 'and_',
          flow_id: { operator: 'and_', any_: [id] },
          state: { operator: 'and_', type: { any_: ['SCHEDULED'] } },
        },
      },
      sort: 'NEXT_SCHEDULED_START_TIME_ASC',
      limit: 1,
      offset: 0,
      now: nowMicros(),
    });
    out[id] = run ?? null;
  }
  return out;
}

/** The task run with its flow run's name (`UITaskRun`). */
export async function taskRunWithFlowRunName(
  ctx: OpContext,
  id: string,
): Promise<{ run: TaskRunRow; flowRunName: string | null }> {
  const store = storeOf(ctx.services);
  const run = await store.taskRuns.get(ctx.workspace.id, id);
  if (!run) throw notFound('Task');
  const flowRun = run.flow_run_id ? await store.flowRuns.get(ctx.workspace.id, run.flow_run_id) : undefined;
  return { run, flowRunName: flowRun?.name ?? null };
}
