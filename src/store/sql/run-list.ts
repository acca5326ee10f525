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

const from = (d: SqlDialect) => `flow_runs fr JOIN flows f ON f.ws = fr.ws AND f.id = fr.flow_id
  LEFT JOIN log_run_stats ls ON ls.ws = fr.ws AND ls.flow_run_id = ${d.logRunId('fr.id')}`;

function where(d: SqlDialect, ws: number, q: RunListQuery, params: unknown[]): string {
  const c = [`fr.ws = ${d.param(params, ws)}`];
  if (q.ids) c.push(d.inList('fr.id', q.ids, params));
  if (q.flowIds) c.push(d.inList('fr.flow_id', q.flowIds, params));
  if (q.stateTypes) c.push(d.inList('fr.state_type', q.stateTypes, params));
  if (q.triggers) {
    const t = new Set(q.triggers);
    const any: string[] = [];
    if (t.has('retry')) any.push('fr.retry_of IS NOT NULL');
    if (t.has('deployment')) any.push('(fr.retry_of IS NULL AND fr.deployment_id IS NOT NULL)');
    if (t.has('manual')) any.push('(fr.retry_of IS NULL AND fr.deployment_id IS NULL)');
    c.push(`(${any.join(' OR ') || d.false})`);
  }
  if (q.search !== undefined) {
    const text = q.search.toLowerCase();
    c.push(`(${d.contains('lower(fr.name)', text, params)} OR ${d.contains('lower(f.name)', text, params)})`);
  }
  if (q.startedFrom !== undefined) c.push(`fr.start_time >= ${d.param(params, q.startedFrom)}`);
  if (q.startedBefore !== undefined) c.push(`fr.start_time < ${d.param(params, q.startedBefore)}`);
  if (q.retried !== undefined)
    c.push(`${q.retried ? '' : 'NOT '}EXISTS (SELECT 1 FROM flow_runs r WHERE r.ws = fr.ws AND r.retry_of = fr.id)`);
  if (q.hasWarnings !== undefined)
    c.push(
      q.hasWarnings
        ? '(ls.warn_count > 0 OR ls.error_count > 0)'
        : '(ls.flow_run_id IS NULL OR (ls.warn_count = 0 AND ls.error_count = 0))',
    );
  return c.join(' AND ');
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
    `SELECT count(*) AS n FROM ${from(d)} WHERE ${where(d, ws, q, countParams)}`,
    countParams,
  );
  const total = Number(counted?.n ?? 0);
  if (total === 0 || q.offset >= total) return { rows: [], total };
  const params: unknown[] = [];
  const dir = q.descending ? 'DESC' : 'ASC';
  const select = `SELECT fr.*, ${STATE_COLS}, f.name AS f_name, ls.warn_count AS ls_warn, ls.error_count AS ls_error,
      (SELECT t.flow_run_id FROM task_runs t WHERE t.ws = fr.ws AND t.id = fr.parent_task_run_id) AS parent_flow_run,
      ${NEWEST_RETRY('id')} AS retry_id, ${NEWEST_RETRY('state_type')} AS retry_state
    FROM ${from(d)} LEFT JOIN flow_run_states s ON s.ws = fr.ws AND s.id = fr.state_id`;
  const sql = `${select} WHERE ${where(d, ws, q, params)}
    ORDER BY (fr.start_time IS NULL), fr.start_time ${dir}, fr.id ${dir}
    LIMIT ${d.param(params, q.limit)} OFFSET ${d.param(params, q.offset)}`;
  const rows = (await r.all(sql, params)).map((row) => ({
    run: r.decode.toFlowRun(row),
    flowName: row.f_name as string,
    parentFlowRunId:
      row.parent_flow_run === null || row.parent_flow_run === undefined ? null : String(row.parent_flow_run),
    retriedBy: row.retry_id
      ? { id: String(row.retry_id), stateType: (row.retry_state ?? null) as StateType | null }
      : null,
    warnings: Number(row.ls_warn ?? 0),
    errors: Number(row.ls_error ?? 0),
  }));
  return { rows, total };
}
