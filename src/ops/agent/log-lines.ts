/** Log lines as the agent tools return them (an object, or one text line with `format: text`). */
import { levelName } from '../../domain/agent/arguments.ts';
import { cutMessage, logLine } from '../../domain/agent/text.ts';
import type { LogCursor, LogRow } from '../../domain/logs.ts';
import type { RunFilterSet } from '../../domain/runs/filters.ts';
import type { RunListRow } from '../../domain/runs/run-list.ts';
import type { TaskRunRow } from '../../domain/runs/task-runs.ts';
import { formatMicros, nowMicros } from '../../domain/time.ts';
import { type OpContext, storeOf } from '../context.ts';

export type LogFormat = 'json' | 'text';

export function logItem(row: LogRow, format: LogFormat, extra: Record<string, unknown> = {}): unknown {
  const cut = cutMessage(row.message);
  const base = {
    log_id: row.id,
    timestamp: formatMicros(row.timestamp),
    level: row.level,
    level_name: levelName(row.level),
    logger: row.name,
    task_run_id: row.task_run_id,
    message: cut.message ?? '',
    ...(cut.message_truncated ? { message_truncated: true } : {}),
  };
  if (format === 'text') return logLine(base);
  return { ...base, ...extra };
}

export const positionOf = (r: LogRow): LogCursor => ({ timestamp: r.timestamp, seq: r.seq });

/** The task runs with these ids (one read for all of them). */
async function taskRunsById(ctx: OpContext, ids: Iterable<string>): Promise<TaskRunRow[]> {
  const list = [...new Set(ids)];
  if (!list.length) return [];
  const filters = { task_runs: { operator: 'and_', id: { any_: list } } } as RunFilterSet;
  return storeOf(ctx.services).taskRuns.filter(ctx.workspace.id, {
    filters,
    sort: 'ID_DESC',
    limit: list.length,
    offset: 0,
    now: nowMicros(),
  });
}

/** The task runs' names, by id. */
export async function taskRunNames(ctx: OpContext, ids: Iterable<string>): Promise<Map<string, string>> {
  return new Map((await taskRunsById(ctx, ids)).map((t) => [t.id, t.name]));
}

/** The task runs' state messages, by id. */
async function taskRunMessages(ctx: OpContext, ids: Iterable<string>): Promise<Map<string, string | null>> {
  return new Map((await taskRunsById(ctx, ids)).map((t) => [t.id, t.state?.message ?? null]));
}

/** The flow runs with their flows' names, by id (one read for all of them). */
export async function flowRunsById(ctx: OpContext, ids: Iterable<string>): Promise<Map<string, RunListRow>> {
  const list = [...new Set(ids)];
  if (!list.length) return new Map();
  const { rows } = await storeOf(ctx.services).flowRuns.list(ctx.workspace.id, {
    ids: list,
    descending: true,
    limit: list.length,
    offset: 0,
  });
  return new Map(rows.map((r) => [r.run.id, r]));
}

/** The current state messages of these spans' runs, in the spans' order (one read per run kind). */
export async function stateMessages(
  ctx: OpContext,
  spans: { span_id: string; span_type: string }[],
): Promise<Map<string, string | null>> {
  const ids = (type: string) => spans.filter((s) => s.span_type === type).map((s) => s.span_id);
  const flows = await flowRunsById(ctx, ids('flow-run'));
  const tasks = await taskRunMessages(ctx, ids('task-run'));
  const out = new Map<string, string | null>();
  for (const s of spans) out.set(s.span_id, flows.get(s.span_id)?.run.state?.message ?? tasks.get(s.span_id) ?? null);
  return out;
}
