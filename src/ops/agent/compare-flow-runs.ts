/**
 * `compare-flow-runs`: what differs between a run and a baseline (by default the flow's latest
 * COMPLETED run that started before it). Tasks match on `task_key` + `dynamic_key` and are listed
 * only when they differ.
 */

import type { CompareFlowRunsInput } from '../../domain/agent/tools.ts';
import { echo } from '../../domain/errors.ts';
import type { RunListRow } from '../../domain/runs/run-list.ts';
import type { TaskRunOutline } from '../../domain/runs/task-runs.ts';
import { formatNullable, nowMicros } from '../../domain/time.ts';
import { type OpContext, storeOf } from '../context.ts';
import { fitLists } from './fit.ts';
import { durationSeconds, resolveFlowRun } from './runs.ts';

/** Task runs of one flow run compared (a run with more lists the first this many by start). */
const TASKS_COMPARED = 5000;
/** Differing tasks listed. */
const TASKS_LISTED = 200;
const WARNING = 30;
/** Loggers of one run compared. */
const LOGGERS_READ = 1000;
/** Lines of new loggers at WARNING or above counted (a count stops there). */
const WARNINGS_READ = 1000;

type Obj = Record<string, unknown>;

function side(r: RunListRow): Obj {
  return {
    id: r.run.id,
    name: r.run.name,
    state_name: r.run.state_name,
    start_time: formatNullable(r.run.start_time),
    duration_s: durationSeconds(r.run, nowMicros()),
  };
}

async function baselineOf(
  ctx: OpContext,
  target: RunListRow,
  given: string | undefined,
): Promise<{ baseline: RunListRow | undefined; reason: string }> {
  if (given) return { baseline: await resolveFlowRun(ctx, 'baseline_flow_run_id', given), reason: 'given' };
  const { rows } = await storeOf(ctx.services).flowRuns.list(ctx.workspace.id, {
    flowIds: [target.run.flow_id],
    stateTypes: ['COMPLETED'],
    ...(target.run.start_time !== null ? { startedBefore: target.run.start_time } : {}),
    descending: true,
    limit: 2,
    offset: 0,
  });
  const baseline = rows.find((r) => r.run.id !== target.run.id);
  return baseline
    ? { baseline, reason: "the flow's latest COMPLETED run that started before this one" }
    : { baseline: undefined, reason: 'the flow has no COMPLETED run that started before this one' };
}

function parameterDiff(target: Obj, baseline: Obj | undefined): Obj {
  if (!baseline) return { changed: [], added: [], removed: [] };
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  return {
    changed: Object.keys(target)
      .filter((k) => k in baseline && !same(target[k], baseline[k]))
      .map((name) => ({ name, target: echo(target[name]), baseline: echo(baseline[name]) })),
    added: Object.keys(target).filter((k) => !(k in baseline)),
    removed: Object.keys(baseline).filter((k) => !(k in target)),
  };
}

async function tasksOf(ctx: OpContext, flowRunId: string): Promise<Map<string, TaskRunOutline>> {
  const rows = await storeOf(ctx.services).traces.taskRunOutlines(ctx.workspace.id, flowRunId, TASKS_COMPARED);
  return new Map(rows.map((t) => [`${t.task_key}\u0000${t.dynamic_key}`, t]));
}

function changeOf(t: TaskRunOutline | undefined, b: TaskRunOutline | undefined, now: number): string | undefined {
  if (!b) return 'only_in_target';
  if (!t) return 'only_in_baseline';
  if (t.state_name !== b.state_name) return 'state';
  if (t.run_count !== b.run_count) return 'retries';
  const dt = durationSeconds(t, now);
  const db = durationSeconds(b, now);
  if (dt !== null && db !== null && Math.abs(dt - db) >= 1 && db > 0 && (dt / db >= 2 || dt / db <= 0.5))
    return 'duration';
  return undefined;
}

/**
 * Loggers that warned (or worse) in the target and logged nothing at all in the baseline, with
 * their lines at WARNING or above — counted in one bounded read (`WARNINGS_READ` lines at most).
 */
async function newWarningLoggers(ctx: OpContext, target: string, baseline: string): Promise<Obj[]> {
  const logs = storeOf(ctx.services).logs;
  const observed = (id: string) =>
    logs.observedLoggers(ctx.workspace.id, { flowRunIds: [id], orderBy: 'NAME_ASC', limit: LOGGERS_READ });
  const before = new Set((await observed(baseline)).map((l) => l.name));
  const fresh = (await observed(target)).map((l) => l.name).filter((n) => !before.has(n));
  if (!fresh.length) return [];
  const rows = await logs.filter(ctx.workspace.id, {
    filter: { operator: 'and_', flow_run_id: { any_: [target] }, loggers: { any_: fresh }, level: { ge_: WARNING } },
    sort: 'TIMESTAMP_ASC',
    limit: WARNINGS_READ,
    offset: 0,
  });
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.name, (counts.get(r.name) ?? 0) + 1);
  return [...counts].map(([logger, count]) => ({ logger, count }));
}

export async function compareFlowRuns(ctx: OpContext, input: CompareFlowRunsInput, maxChars?: number): Promise<Obj> {
  return fitLists(
    await comparison(ctx, input),
    ['tasks', 'new_error_loggers'],
    maxChars,
    'the tasks of one run: get-trace-tree with expand "all"',
  );
}

async function comparison(ctx: OpContext, input: CompareFlowRunsInput): Promise<Obj> {
  const store = storeOf(ctx.services);
  const now = nowMicros();
  const target = await resolveFlowRun(ctx, 'flow_run_id', input.flow_run_id);
  const { baseline, reason } = await baselineOf(ctx, target, input.baseline_flow_run_id);
  const tTasks = await tasksOf(ctx, target.run.id);
  const bTasks = baseline ? await tasksOf(ctx, baseline.run.id) : new Map<string, TaskRunOutline>();
  const tasks: Obj[] = [];
  const taskSide = (t: TaskRunOutline | undefined) =>
    t ? { state_name: t.state_name, duration_s: durationSeconds(t, now), run_count: t.run_count } : null;
  if (baseline)
    for (const key of new Set([...tTasks.keys(), ...bTasks.keys()])) {
      if (tasks.length >= TASKS_LISTED) break;
      const t = tTasks.get(key);
      const b = bTasks.get(key);
      const change = changeOf(t, b, now);
      if (change)
        tasks.push({
          task_key: (t ?? b)!.task_key,
          name: (t ?? b)!.name,
          target: taskSide(t),
          baseline: taskSide(b),
          change,
        });
    }
  const count = async (r: RunListRow | undefined) =>
    r ? ((await store.logs.runStats(ctx.workspace.id, r.run.id))?.count ?? 0) : null;
  const targetS = durationSeconds(target.run, now);
  const baselineS = baseline ? durationSeconds(baseline.run, now) : null;
  return {
    target: side(target),
    baseline: baseline ? side(baseline) : null,
    baseline_reason: reason,
    parameters: parameterDiff(target.run.parameters, baseline?.run.parameters),
    tasks,
    new_error_loggers: baseline ? await newWarningLoggers(ctx, target.run.id, baseline.run.id) : [],
    log_lines: { target: await count(target), baseline: await count(baseline) },
    duration: {
      target_s: targetS,
      baseline_s: baselineS,
      ratio: targetS !== null && baselineS ? targetS / baselineS : null,
    },
  };
}
