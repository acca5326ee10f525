/** `search-logs`: log messages across runs by text, level, logger, run or flow and time. */
import { parseLevel, parseWindow } from '../../domain/agent/arguments.ts';
import type { SearchLogsInput } from '../../domain/agent/tools.ts';
import type { LogCursor, LogFilter } from '../../domain/logs.ts';
import { nowMicros } from '../../domain/time.ts';
import { type OpContext, storeOf } from '../context.ts';
import { makeCursor, readCursor } from './cursors.ts';
import { fit } from './fit.ts';
import { flowRunsById, logItem, positionOf, taskRunNames } from './log-lines.ts';
import { resolveFlowRun } from './runs.ts';

/** Runs of the flows a `flow_name` names that are searched (the newest in the window). */
const FLOW_NAME_RUNS = 200;

export async function searchLogs(
  ctx: OpContext,
  input: SearchLogsInput,
  maxChars?: number,
): Promise<Record<string, unknown>> {
  const store = storeOf(ctx.services);
  const now = nowMicros();
  const window = parseWindow(input.since, input.until, now);
  const filter: LogFilter = { operator: 'and_' };
  if (input.level_ge !== undefined) filter.level = { ge_: parseLevel('level_ge', input.level_ge) };
  if (input.loggers) filter.loggers = { any_: input.loggers };
  if (input.query) filter.text = { query: input.query };
  filter.timestamp = {
    ...(window.since !== undefined ? { after_: window.since } : {}),
    ...(window.until !== undefined ? { before_: window.until - 1 } : {}),
  };
  let runIds: string[] | undefined;
  if (input.flow_run_id) runIds = [(await resolveFlowRun(ctx, 'flow_run_id', input.flow_run_id)).run.id];
  if (input.flow_name) {
    const { rows } = await store.flowRuns.list(ctx.workspace.id, {
      flowName: input.flow_name,
      ...(window.until !== undefined ? { startedBefore: window.until } : {}),
      descending: true,
      limit: FLOW_NAME_RUNS,
      offset: 0,
    });
    const ofFlow = rows.map((r) => r.run.id);
    runIds = runIds ? runIds.filter((id) => ofFlow.includes(id)) : ofFlow;
  }
  if (runIds) filter.flow_run_id = { any_: runIds };
  const descending = input.order === 'newest';
  const after = input.cursor ? readCursor<LogCursor>(ctx, 'search-logs', 'cursor', input.cursor) : undefined;
  const rows =
    runIds?.length === 0
      ? []
      : await store.logs.filter(ctx.workspace.id, {
          filter,
          sort: descending ? 'TIMESTAMP_DESC' : 'TIMESTAMP_ASC',
          limit: input.limit + 1,
          offset: 0,
          ...(after ? { after: { timestamp: after.timestamp, seq: after.seq } } : {}),
        });
  const more = rows.length > input.limit;
  const page = rows.slice(0, input.limit);
  const runs = await flowRunsById(
    ctx,
    page.flatMap((r) => (r.flow_run_id ? [r.flow_run_id] : [])),
  );
  const tasks = await taskRunNames(
    ctx,
    page.flatMap((r) => (r.task_run_id ? [r.task_run_id] : [])),
  );
  const hits = page.map((r) => {
    const run = r.flow_run_id ? runs.get(r.flow_run_id) : undefined;
    return logItem(r, input.format, {
      flow_run_id: r.flow_run_id,
      flow_run_name: run?.run.name ?? null,
      flow_name: run?.flowName ?? null,
      run_state_type: run?.run.state_type ?? null,
      task_run_name: r.task_run_id ? (tasks.get(r.task_run_id) ?? null) : null,
    });
  });
  const cursorAfter = (n: number) => makeCursor(ctx, 'search-logs', { ...positionOf(page[n - 1]) });
  return fit(
    { hits, next_cursor: more && page.length ? cursorAfter(page.length) : null },
    {
      key: 'hits',
      maxChars,
      keep: 'head',
      continueAfter: (kept) => {
        const cursor = kept.length ? cursorAfter(kept.length) : (input.cursor ?? null);
        return { next_cursor: cursor, next: { ...input, ...(cursor ? { cursor } : {}) } };
      },
    },
  );
}
