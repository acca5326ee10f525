/**
 * `tail-logs`: a run's last lines, oldest to newest and ending at its real last line; an older
 * cursor pages back without gap or repeat, a newer one reads what was logged since.
 */
import { badArgument, parseLevel } from '../../domain/agent/arguments.ts';
import type { TailLogsInput } from '../../domain/agent/tools.ts';
import type { LogCursor, LogFilter, LogRow } from '../../domain/logs.ts';
import { type OpContext, storeOf } from '../context.ts';
import { makeCursor, readCursor } from './cursors.ts';
import { fit } from './fit.ts';
import { logItem, positionOf } from './log-lines.ts';
import { resolveFlowRun, resolveTaskRun } from './runs.ts';

type Position = LogCursor & { dir: 'older' | 'newer' };

export async function tailLogs(
  ctx: OpContext,
  input: TailLogsInput,
  maxChars?: number,
): Promise<Record<string, unknown>> {
  const store = storeOf(ctx.services);
  if (!input.flow_run_id && !input.task_run_id)
    throw badArgument('flow_run_id', 'give flow_run_id or task_run_id', 'find-flow-runs lists runs with their ids');
  if (input.before && input.after) throw badArgument('before', 'give before or after, not both');
  const task = input.task_run_id ? await resolveTaskRun(ctx, 'task_run_id', input.task_run_id) : undefined;
  const runArg = input.flow_run_id ?? task?.flow_run_id;
  if (!runArg) throw badArgument('task_run_id', 'this task run belongs to no flow run');
  const run = await resolveFlowRun(ctx, 'flow_run_id', runArg);
  if (task && task.flow_run_id !== run.run.id)
    throw badArgument('task_run_id', `task run ${task.id} belongs to flow run ${task.flow_run_id}, not ${run.run.id}`);

  const runIds = input.scope === 'trace' ? await store.traces.flowRunIds(ctx.workspace.id, run.run.id) : [run.run.id];
  const filter: LogFilter = { operator: 'and_', flow_run_id: { any_: runIds } };
  if (task) filter.task_run_id = { any_: [task.id] };
  if (input.level_ge !== undefined) filter.level = { ge_: parseLevel('level_ge', input.level_ge) };
  if (input.loggers) filter.loggers = { any_: input.loggers };
  const plain = !task && input.level_ge === undefined && !input.loggers && runIds.length === 1;
  const total_lines = plain
    ? ((await store.logs.runStats(ctx.workspace.id, run.run.id))?.count ?? 0)
    : await store.logs.count(ctx.workspace.id, filter);
  if (input.query) filter.text = { query: input.query };

  const token = input.before ?? input.after;
  const from = token ? readCursor<Position>(ctx, 'tail-logs', input.before ? 'before' : 'after', token) : undefined;
  if (from && from.dir !== (input.before ? 'older' : 'newer'))
    throw badArgument(input.before ? 'before' : 'after', `takes ${input.before ? 'older' : 'newer'}_cursor`);
  const forward = !!input.after;
  const read = await store.logs.filter(ctx.workspace.id, {
    filter,
    sort: forward ? 'TIMESTAMP_ASC' : 'TIMESTAMP_DESC',
    limit: input.lines + 1,
    offset: 0,
    ...(from ? { after: { timestamp: from.timestamp, seq: from.seq } } : {}),
  });
  const more = read.length > input.lines;
  const page = read.slice(0, input.lines);
  const rows: LogRow[] = forward ? page : page.reverse();
  const older = (first: LogRow | undefined, hasOlder: boolean) =>
    first && hasOlder ? makeCursor(ctx, 'tail-logs', { ...positionOf(first), dir: 'older' }) : null;
  const newer = (last: LogRow | undefined) =>
    last ? makeCursor(ctx, 'tail-logs', { ...positionOf(last), dir: 'newer' }) : from?.dir === 'newer' ? token! : null;
  // Reading back, the page's first line has older ones when the read found one more; reading
  // forward, there are older lines whenever the read started after one.
  const hasOlder = forward ? true : more;
  const lines = rows.map((r) => logItem(r, input.format));
  return fit(
    {
      run: { id: run.run.id, name: run.run.name, state_type: run.run.state_type },
      total_lines,
      lines,
      older_cursor: older(rows[0], hasOlder),
      newer_cursor: newer(rows.at(-1)),
    },
    {
      key: 'lines',
      maxChars,
      keep: forward ? 'head' : 'tail',
      continueAfter: (kept) => {
        if (forward) {
          const last = rows[kept.length - 1];
          const cursor = newer(last);
          return { newer_cursor: cursor, next: { ...input, before: undefined, after: cursor } };
        }
        const first = rows[rows.length - kept.length];
        const cursor = older(first ?? rows.at(-1), true);
        const keptLast = kept.length ? rows.at(-1) : undefined;
        return {
          older_cursor: cursor,
          newer_cursor: newer(keptLast),
          next: { ...input, after: undefined, before: cursor },
        };
      },
    },
  );
}
