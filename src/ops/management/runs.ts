/**
 * The flow-run management API's reads (`/api/v1/flow-runs`): the run list and one run with the
 * relationships asked for. `base` is the absolute URL of the API root (`…/v1`) the request came
 * to, for the `related` links.
 */
import { AppError, notFound } from '../../domain/errors.ts';
import type { LogFilter, LogRow } from '../../domain/logs.ts';
import { type LogInclude, renderLogItem } from '../../domain/management/logs.ts';
import { type RunInclude, type RunListRequest, renderRunItem } from '../../domain/management/runs.ts';
import type { RunListRow } from '../../domain/runs/run-list.ts';
import { nowMicros } from '../../domain/time.ts';
import { type OpContext, storeOf } from '../context.ts';

/** Logs embedded in a run item: at most this many. */
export const EMBEDDED_LOGS = 50;
const WARNING = 30;

export async function listRuns(
  ctx: OpContext,
  req: RunListRequest,
  base: string,
): Promise<{ items: Record<string, unknown>[]; total: number }> {
  const { rows, total } = await storeOf(ctx.services).flowRuns.list(ctx.workspace.id, {
    ...req.query,
    limit: req.perPage,
    offset: req.offset,
  });
  const items = [];
  for (const row of rows) items.push(await runItem(ctx, row, req.include, base));
  return { items, total };
}

/** One run (404 `not_found` for an unknown id). */
export async function getRun(
  ctx: OpContext,
  id: string,
  include: Set<RunInclude>,
  base: string,
): Promise<Record<string, unknown>> {
  return runItem(ctx, await listedRun(ctx, id), include, base);
}

export async function listedRun(ctx: OpContext, id: string): Promise<RunListRow> {
  const { rows } = await storeOf(ctx.services).flowRuns.list(ctx.workspace.id, {
    ids: [id],
    descending: true,
    limit: 1,
    offset: 0,
  });
  if (!rows[0]) throw notFound('Flow run');
  return rows[0];
}

async function runItem(
  ctx: OpContext,
  row: RunListRow,
  include: Set<RunInclude>,
  base: string,
): Promise<Record<string, unknown>> {
  const item = renderRunItem(row, nowMicros());
  const id = row.run.id;
  if (include.has('flow')) item.flow = { id: row.run.flow_id, name: row.flowName };
  if (include.has('retriedFlowRun'))
    item.retriedFlowRun = row.retriedBy
      ? { id: row.retriedBy.id, status: row.retriedBy.stateType?.toLowerCase() ?? null }
      : null;
  const related = `${base}/flow-runs/${id}/flow-run-logs`;
  const steps = include.has('flowRunLogs.flowStep');
  if (include.has('flowRunLogs') || steps) {
    const stats = await storeOf(ctx.services).logs.runStats(ctx.workspace.id, id);
    const logs = stats ? await runLogPage(ctx, { flow_run_id: { any_: [id] } }, false, EMBEDDED_LOGS, 0) : [];
    item.flowRunLogs = { data: await logItems(ctx, logs, steps), total: stats?.count ?? 0, related };
  }
  if (include.has('errorWarningLogs')) {
    const filter: LogFilter = { operator: 'and_', flow_run_id: { any_: [id] }, level: { ge_: WARNING } };
    const total = row.warnings + row.errors;
    // The last ones, oldest first.
    const logs = total ? (await runLogPage(ctx, filter, true, EMBEDDED_LOGS, 0)).reverse() : [];
    item.errorWarningLogs = { data: await logItems(ctx, logs, false), total, related };
  }
  return item;
}

export function runLogPage(
  ctx: OpContext,
  filter: Omit<LogFilter, 'operator'> & { operator?: LogFilter['operator'] },
  descending: boolean,
  limit: number,
  offset: number,
): Promise<LogRow[]> {
  return storeOf(ctx.services).logs.filter(ctx.workspace.id, {
    filter: { operator: 'and_', ...filter },
    sort: descending ? 'TIMESTAMP_DESC' : 'TIMESTAMP_ASC',
    limit,
    offset,
  });
}

/** Log items, with each one's task run as `flowStep` (`{id, name}`, or null) when asked. */
export async function logItems(ctx: OpContext, rows: LogRow[], withStep: boolean): Promise<Record<string, unknown>[]> {
  if (!withStep) return rows.map(renderLogItem);
  const store = storeOf(ctx.services);
  const names = new Map<string, string | null>();
  for (const r of rows)
    if (r.task_run_id && !names.has(r.task_run_id))
      names.set(r.task_run_id, (await store.taskRuns.get(ctx.workspace.id, r.task_run_id))?.name ?? null);
  return rows.map((r) => ({
    ...renderLogItem(r),
    flowStep: r.task_run_id ? { id: r.task_run_id, name: names.get(r.task_run_id) ?? null } : null,
  }));
}

/** A flow run's logs, paged (`filter[flow_step_id]` narrows to task runs). */
export async function listRunLogs(
  ctx: OpContext,
  runId: string,
  req: { taskRunIds?: string[]; include: Set<LogInclude>; descending: boolean; perPage: number; offset: number },
): Promise<{ items: Record<string, unknown>[]; total: number }> {
  const run = await listedRun(ctx, runId);
  const store = storeOf(ctx.services);
  const filter: LogFilter = { operator: 'and_', flow_run_id: { any_: [runId] } };
  if (req.taskRunIds) filter.task_run_id = { any_: req.taskRunIds };
  const total = req.taskRunIds
    ? await store.logs.count(ctx.workspace.id, filter)
    : ((await store.logs.runStats(ctx.workspace.id, runId))?.count ?? 0);
  const rows = req.offset < total ? await runLogPage(ctx, filter, req.descending, req.perPage, req.offset) : [];
  return { items: withRun(await logItems(ctx, rows, req.include.has('flowStep')), run, req.include), total };
}

/** One log of the run (404 for another run's log, or an unknown id). */
export async function getRunLog(
  ctx: OpContext,
  runId: string,
  logId: string,
  include: Set<LogInclude>,
): Promise<Record<string, unknown>> {
  const run = await listedRun(ctx, runId);
  const row = await storeOf(ctx.services).logs.getInRun(ctx.workspace.id, runId, logId);
  if (!row) throw new AppError('not_found', 'Flow run log not found');
  return withRun(await logItems(ctx, [row], include.has('flowStep')), run, include)[0];
}

function withRun(items: Record<string, unknown>[], run: RunListRow, include: Set<LogInclude>) {
  if (!include.has('flowRun')) return items;
  const flowRun = { id: run.run.id, name: run.run.name, status: run.run.state_type?.toLowerCase() ?? null };
  return items.map((i) => ({ ...i, flowRun }));
}
