/**
 * Runs as the agent tools name them: a run id or unique prefix resolved to the run (an unknown id
 * is `not_found` with a hint, a prefix naming several runs is `ambiguous_id` listing up to five,
 * a task run's id where a flow run is expected is named as such), and one run as a compact row.
 */
import { parseRunId } from '../../domain/agent/arguments.ts';
import { cutMessage } from '../../domain/agent/text.ts';
import { AppError } from '../../domain/errors.ts';
import type { RunListRow } from '../../domain/runs/run-list.ts';
import type { TaskRunRow } from '../../domain/runs/task-runs.ts';
import { formatNullable, type Micros, nowMicros } from '../../domain/time.ts';
import { type OpContext, storeOf } from '../context.ts';

const CANDIDATES = 5;

/** Seconds from start to end (to now while running); null before the run started. */
export function durationSeconds(r: { start_time: Micros | null; end_time: Micros | null }, now: Micros): number | null {
  if (r.start_time === null) return null;
  return Math.max(0, ((r.end_time ?? now) - r.start_time) / 1_000_000);
}

function notFoundRun(name: string, text: string): AppError {
  return new AppError('not_found', `${name}: no flow run '${text.slice(0, 64)}' in this workspace`, {
    details: { parameter: name, hint: 'call find-flow-runs to list runs with their ids' },
  });
}

/** The flow run an argument names. */
export async function resolveFlowRun(ctx: OpContext, name: string, text: string): Promise<RunListRow> {
  const store = storeOf(ctx.services);
  const arg = parseRunId(name, text);
  const base = { descending: true, offset: 0 };
  if (arg.kind === 'id') {
    const { rows } = await store.flowRuns.list(ctx.workspace.id, { ...base, ids: [arg.id], limit: 1 });
    if (rows[0]) return rows[0];
    const task = await store.taskRuns.get(ctx.workspace.id, arg.id);
    if (task) throw taskRunGiven(name, task);
    throw notFoundRun(name, text);
  }
  const { rows, total } = await store.flowRuns.list(ctx.workspace.id, {
    ...base,
    idPrefix: arg.prefix,
    limit: CANDIDATES,
  });
  if (total === 1) return rows[0];
  if (total === 0) throw notFoundRun(name, text);
  const now = nowMicros();
  throw new AppError('ambiguous_id', `${name}: '${arg.prefix}' is the start of ${total} flow run ids`, {
    details: {
      parameter: name,
      hint: 'give more of the id',
      candidates: rows.map((r) => ({
        id: r.run.id,
        name: r.run.name,
        flow_name: r.flowName,
        state_name: r.run.state_name,
        start_time: formatNullable(r.run.start_time),
        duration_s: durationSeconds(r.run, now),
      })),
    },
  });
}

function taskRunGiven(name: string, task: TaskRunRow): AppError {
  return new AppError(
    'not_found',
    `${name}: ${task.id} is a task run ('${task.name}')${task.flow_run_id ? ` of flow run ${task.flow_run_id}` : ''}, not a flow run`,
    {
      details: {
        parameter: name,
        hint: task.flow_run_id
          ? `call again with ${name} "${task.flow_run_id}" (tail-logs also takes task_run_id "${task.id}")`
          : 'this task run belongs to no flow run',
        flow_run_id: task.flow_run_id,
      },
    },
  );
}

/** A task run named by its full id (task runs have no prefix lookup). */
export async function resolveTaskRun(ctx: OpContext, name: string, text: string): Promise<TaskRunRow> {
  const arg = parseRunId(name, text);
  const t = arg.kind === 'id' ? await storeOf(ctx.services).taskRuns.get(ctx.workspace.id, arg.id) : undefined;
  if (t) return t;
  throw new AppError('not_found', `${name}: no task run '${text.slice(0, 64)}' in this workspace`, {
    details: {
      parameter: name,
      hint: 'give the full task run id (diagnose-flow-run and get-trace-tree list them as span_id)',
    },
  });
}

/** `find-flow-runs`' row for a run. */
export function runRow(r: RunListRow, now: Micros): Record<string, unknown> {
  return {
    id: r.run.id,
    name: r.run.name,
    flow_name: r.flowName,
    state_type: r.run.state_type,
    state_name: r.run.state_name,
    ...cutMessage(r.run.state?.message ?? null),
    start_time: formatNullable(r.run.start_time),
    end_time: formatNullable(r.run.end_time),
    duration_s: durationSeconds(r.run, now),
    tags: r.run.tags,
    parent_flow_run_id: r.parentFlowRunId,
    warning_count: r.warnings,
    error_count: r.errors,
  };
}
