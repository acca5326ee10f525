/**
 * Run history and grouped counts for both engines: the runs matching the filters whose expected start time falls in
 * `[start, end)`, grouped by interval and state, with their estimated run time (a RUNNING run's
 * grows to `now`) and lateness summed in the database.
 */
import type { HistoryQuery, HistoryRow, RunCountColumn } from '../../domain/runs/history.ts';
import type { StateType } from '../../domain/runs/states.ts';
import type { RunTable, SqlReader } from './run-reads.ts';

const TERMINAL = "('COMPLETED', 'FAILED', 'CANCELLED', 'CRASHED')";

export async function readHistory<S extends string, T>(
  r: SqlReader,
  t: RunTable<S, T>,
  workspaceId: string,
  q: HistoryQuery,
): Promise<HistoryRow[]> {
  const ws = await r.key(workspaceId);
  if (ws === undefined || q.end <= q.start) return [];
  const d = r.dialect;
  const params: unknown[] = [];
  const a = t.alias;
  // Placeholders are positional on SQLite: each use is its own parameter, in the order the SQL reads.
  const p = (v: unknown) => d.param(params, v);
  const time = `${a}.${q.by}`;
  // A whole number on both engines (SQLite may bind the numbers as reals and divide them so).
  const bucket = `CAST((${time} - ${p(q.start)}) / ${p(q.interval)} AS BIGINT)`;
  const runTime = `${a}.total_run_time + CASE WHEN ${a}.state_type = 'RUNNING' AND ${a}.state_timestamp < ${p(q.now)}
    THEN ${p(q.now)} - ${a}.state_timestamp ELSE 0 END`;
  const lateness = `CASE WHEN ${a}.start_time IS NOT NULL AND ${a}.start_time > ${a}.expected_start_time
      THEN ${a}.start_time - ${a}.expected_start_time
    WHEN ${a}.start_time IS NULL AND ${a}.expected_start_time < ${p(q.now)} AND coalesce(${a}.state_type, '') NOT IN ${TERMINAL}
      THEN ${p(q.now)} - ${a}.expected_start_time
    ELSE 0 END`;
  const window = `${a}.ws = ${p(ws)} AND ${a}.state_type IS NOT NULL
      AND ${time} >= ${p(q.start)} AND ${time} < ${p(q.end)}`;
  const filters = t.where(d, q.filters, params);
  const sql = `SELECT ${bucket} AS bucket, ${a}.state_type AS state_type, ${a}.state_name AS state_name,
      count(*) AS n, sum(${runTime}) AS run_time, sum(${lateness}) AS lateness
    FROM ${t.from} WHERE ${window} ${filters ? `AND ${filters}` : ''}
    GROUP BY 1, 2, 3`;
  return (await r.all(sql, params)).map((row) => ({
    bucket: Number(row.bucket),
    state_type: row.state_type as StateType,
    state_name: String(row.state_name),
    count: Number(row.n),
    runTime: Number(row.run_time),
    lateness: Number(row.lateness),
  }));
}

/** Runs matching the filters counted by the value of `column` (rows with a null value are left out). */
export async function readCountBy<S extends string, T>(
  r: SqlReader,
  t: RunTable<S, T>,
  workspaceId: string,
  filters: HistoryQuery['filters'],
  column: RunCountColumn,
): Promise<Map<string, number>> {
  const ws = await r.key(workspaceId);
  if (ws === undefined) return new Map();
  const params: unknown[] = [];
  const a = t.alias;
  const own = `${a}.ws = ${r.dialect.param(params, ws)} AND ${a}.${column} IS NOT NULL`;
  const where = t.where(r.dialect, filters, params);
  const sql = `SELECT ${a}.${column} AS v, count(*) AS n FROM ${t.from} WHERE ${own}${where ? ` AND ${where}` : ''} GROUP BY 1`;
  return new Map((await r.all(sql, params)).map((row) => [String(row.v), Number(row.n)]));
}
