/**
 * The flow-run list of the management API, written once for every SQL engine: a run with its
 * flow's name, its parent flow run, its newest retry and its log level counters (kept at ingest in
 * `log_run_stats`), filtered and ordered by start time with an exact total.
 */
import type { RunListQuery, RunListRow } from '../../domain/runs/run-list.ts';
import type { StateType } from '../../domain/runs/states.ts';
import type { SqlDialect } from './dialect.ts';
import { type SqlReader, STATE_COLS } from './run-reads.ts';

const NEWEST_RETRY = (col: string) =>
  `(SELECT r.${col} FROM flow_runs r WHERE r.ws = fr.ws AND r.retry_of = fr.id ORDER BY r.created DESC, r.id DESC LIMIT 1)`;

/**
 * Every condition reads `flow_runs` alone (the flow-name search and the warning test are
 * subqueries), so that the count and the page's ids come from its indexes; the page's rows are
 * then read with their joins and subqueries for those ids only.
 */
function where(d: SqlDialect, ws: number, q: RunListQuery, params: unknown[]): string {
  const c = [`fr.ws = ${d.param(params, ws)}`];
  if (q.ids) c.push(oneOf(d, 'fr.id', q.ids, params));
  // A range on the primary key: ids are lower-case hex and dashes, all below '~'.
  if (q.idPrefix !== undefined)
    c.push(`fr.id >= ${d.param(params, q.idPrefix)} AND fr.id < ${d.param(params, `${q.idPrefix}~`)}`);
  if (q.flowIds) c.push(oneOf(d, 'fr.flow_id', q.flowIds, params));
  // Types and names together: a run in either kind of state matches.
  if (q.stateTypes && q.stateNames)
    c.push(
      `(${oneOf(d, 'fr.state_type', q.stateTypes, params)} OR ${oneOf(d, 'fr.state_name', q.stateNames, params)})`,
    );
  else if (q.stateTypes) c.push(oneOf(d, 'fr.state_type', q.stateTypes, params));
  else if (q.stateNames) c.push(oneOf(d, 'fr.state_name', q.stateNames, params));
  if (q.triggers) {
    const t = new Set(q.triggers);
    const any: string[] = [];
    if (t.has('retry')) any.push('fr.retry_of IS NOT NULL');
    if (t.has('deployment')) any.push('(fr.retry_of IS NULL AND fr.deployment_id IS NOT NULL)');
    if (t.has('manual')) any.push('(fr.retry_of IS NULL AND fr.deployment_id IS NULL)');
    c.push(`(${any.join(' OR ') || d.false})`);
  }
  if (q.tags) c.push(d.arrayHasAny('fr.tags', q.tags, params));
  if (q.rootsOnly) c.push('fr.parent_task_run_id IS NULL');
  if (q.flowName !== undefined)
    c.push(
      `fr.flow_id IN (SELECT f.id FROM flows f WHERE f.ws = ${d.param(params, ws)} AND ${d.contains('lower(f.name)', q.flowName.toLowerCase(), params)})`,
    );
  if (q.search !== undefined) {
    const text = q.search.toLowerCase();
    // Placeholders are positional on SQLite: parameters go in the order the SQL reads them.
    const byName = d.contains('lower(fr.name)', text, params);
    // Not correlated (the workspace is a parameter): the matching flows are found once.
    const flows = `SELECT f.id FROM flows f WHERE f.ws = ${d.param(params, ws)} AND ${d.contains('lower(f.name)', text, params)}`;
    c.push(`(${byName} OR fr.flow_id IN (${flows}))`);
  }
  if (q.startedFrom !== undefined) c.push(`fr.start_time >= ${d.param(params, q.startedFrom)}`);
  if (q.startedBefore !== undefined) c.push(`fr.start_time < ${d.param(params, q.startedBefore)}`);
  if (q.retried !== undefined)
    c.push(`${q.retried ? '' : 'NOT '}EXISTS (SELECT 1 FROM flow_runs r WHERE r.ws = fr.ws AND r.retry_of = fr.id)`);
  // Counters are never negative, so any row of the run above zero (a slot, ADR 49) means its sum is.
  if (q.hasWarnings !== undefined)
    c.push(
      `${q.hasWarnings ? '' : 'NOT '}EXISTS (SELECT 1 FROM log_run_stats ls WHERE ls.ws = fr.ws
        AND ls.flow_run_id = ${d.logRunId('fr.id')} AND (ls.warn_count > 0 OR ls.error_count > 0))`,
    );
  return c.join(' AND ');
}

/**
 * `col` is one of a few values, each its own parameter (a filter's short list, a page's ids): the
 * planner then sees the values and seeks the index on `col` (a single JSON parameter hides them,
 * and SQLite without statistics would scan the workspace instead).
 */
function oneOf(d: SqlDialect, col: string, values: readonly string[], params: unknown[]): string {
  if (!values.length) return d.false;
  return `${col} IN (${values.map((v) => d.param(params, v)).join(', ')})`;
}

/** The ids of one section of the order (started runs, or never-started ones) at `offset`. */
async function sectionIds(
  r: SqlReader,
  ws: number,
  q: RunListQuery,
  started: boolean,
  limit: number,
  offset: number,
): Promise<string[]> {
  const d = r.dialect;
  const params: unknown[] = [];
  const dir = q.descending ? 'DESC' : 'ASC';
  const order = started ? `fr.start_time ${dir}, fr.id ${dir}` : `fr.id ${dir}`;
  const sql = `SELECT fr.id FROM flow_runs fr WHERE ${where(d, ws, q, params)} AND fr.start_time IS ${started ? 'NOT ' : ''}NULL
    ORDER BY ${order} LIMIT ${d.param(params, limit)} OFFSET ${d.param(params, offset)}`;
  return (await r.all(sql, params)).map((row) => String(row.id));
}

/** One page of the list and the exact number of runs matching (an unknown workspace has none). */
export async function readRunList(
  r: SqlReader,
  workspaceId: string,
  q: RunListQuery,
): Promise<{ rows: RunListRow[]; total: number }> {
  const ws = await r.key(workspaceId);
  if (ws === undefined) return { rows: [], total: 0 };
  const d = r.dialect;
  const countParams: unknown[] = [];
  const [counted] = await r.all(
    `SELECT count(*) AS n, count(fr.start_time) AS started FROM flow_runs fr WHERE ${where(d, ws, q, countParams)}`,
    countParams,
  );
  const total = Number(counted?.n ?? 0);
  const started = Number(counted?.started ?? 0);
  if (total === 0 || q.offset >= total) return { rows: [], total };
  // Runs that never started come last in both directions: the started ones first, by start time.
  const ids = q.offset < started ? await sectionIds(r, ws, q, true, q.limit, q.offset) : [];
  if (ids.length < q.limit)
    ids.push(...(await sectionIds(r, ws, q, false, q.limit - ids.length, Math.max(0, q.offset - started))));
  if (!ids.length) return { rows: [], total };
  const params: unknown[] = [];
  // A run's log counters may span several rows (PostgreSQL's slots, ADR 49): added up per run.
  const logStat = (col: string) =>
    `(SELECT sum(ls.${col}) FROM log_run_stats ls WHERE ls.ws = fr.ws AND ls.flow_run_id = ${d.logRunId('fr.id')})`;
  const select = `SELECT fr.*, ${STATE_COLS}, f.name AS f_name, ${logStat('warn_count')} AS ls_warn, ${logStat('error_count')} AS ls_error,
      (SELECT t.flow_run_id FROM task_runs t WHERE t.ws = fr.ws AND t.id = fr.parent_task_run_id) AS parent_flow_run,
      ${NEWEST_RETRY('id')} AS retry_id, ${NEWEST_RETRY('state_type')} AS retry_state
    FROM flow_runs fr JOIN flows f ON f.ws = fr.ws AND f.id = fr.flow_id
    LEFT JOIN flow_run_states s ON s.ws = fr.ws AND s.id = fr.state_id
    WHERE fr.ws = ${d.param(params, ws)} AND ${oneOf(d, 'fr.id', ids, params)}`;
  const byId = new Map<string, RunListRow>();
  for (const row of await r.all(select, params)) {
    byId.set(String(row.id), {
      run: r.decode.toFlowRun(row),
      flowName: row.f_name as string,
      parentFlowRunId:
        row.parent_flow_run === null || row.parent_flow_run === undefined ? null : String(row.parent_flow_run),
      retriedBy: row.retry_id
        ? { id: String(row.retry_id), stateType: (row.retry_state ?? null) as StateType | null }
        : null,
      warnings: Number(row.ls_warn ?? 0),
      errors: Number(row.ls_error ?? 0),
    });
  }
  return { rows: ids.flatMap((id) => byId.get(id) ?? []), total };
}
