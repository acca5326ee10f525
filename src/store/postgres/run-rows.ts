/** PostgreSQL: run, state and span rows (jsonb comes back parsed, int8 as numbers) to domain values, and state rows. */
import type pg from 'pg';
import type { StateRow } from '../../domain/runs/states.ts';
import { JOINED_STATE_COLUMNS, rowDecoders } from '../row-decoding.ts';
import { type Columns, RUN_JSON_COLUMNS, stateColumns } from '../run-columns.ts';
import type { Queryable, Row } from './db.ts';

// JSON goes in as text cast to jsonb (`pg` would turn arrays into PostgreSQL arrays).
const param = (name: string, n: number) => `$${n}${RUN_JSON_COLUMNS.has(name) ? '::jsonb' : ''}`;

/** `INSERT INTO table` of a column record (`run-columns.ts`), then `tail` (e.g. a conflict clause). */
export function insertColumns(c: Queryable, table: string, cols: Columns, tail = ''): Promise<pg.QueryResult> {
  const names = Object.keys(cols);
  const sql = `INSERT INTO ${table} (${names.map((n) => `"${n}"`).join(', ')}) VALUES (${names.map((n, i) => param(n, i + 1)).join(', ')}) ${tail}`;
  return c.query(sql, Object.values(cols));
}

/**
 * `UPDATE table SET` a column record on the row of `(ws, id)`: the statement and its parameters,
 * so that a caller can add conditions (`AND …` with parameters from `$<params.length + 1>`).
 */
export function updateColumns(
  table: string,
  cols: Columns,
  ws: number,
  id: string,
): { sql: string; params: unknown[] } {
  const names = Object.keys(cols);
  const sets = names.map((n, i) => `"${n}" = ${param(n, i + 1)}`).join(', ');
  return {
    sql: `UPDATE ${table} SET ${sets} WHERE ws = $${names.length + 1} AND id = $${names.length + 2}`,
    params: [...Object.values(cols), ws, id],
  };
}

/** `pg` hands jsonb back decoded and booleans as booleans. */
export const { toArtifact, toState, toFlow, toFlowRun, toTaskRun, toSpan } = rowDecoders({
  json: <T>(v: unknown) => (v ?? null) as T,
  bool: (v) => v === true,
});

const STATE_COLS = JOINED_STATE_COLUMNS.map((c) => `s."${c}" AS s_${c}`).join(', ');

export const FLOW_RUN_SELECT = `SELECT fr.*, ${STATE_COLS} FROM flow_runs fr LEFT JOIN flow_run_states s ON s.ws = fr.ws AND s.id = fr.state_id`;
export const TASK_RUN_SELECT = `SELECT tr.*, ${STATE_COLS} FROM task_runs tr LEFT JOIN task_run_states s ON s.ws = tr.ws AND s.id = tr.state_id`;

type StateTable = 'flow_run_states' | 'task_run_states';

/** Inserts a state; a state id already there is kept. */
export async function insertState(
  c: Queryable,
  table: StateTable,
  ws: number,
  runId: string,
  s: StateRow,
): Promise<void> {
  const runCol = table === 'flow_run_states' ? 'flow_run_id' : 'task_run_id';
  await insertColumns(c, table, stateColumns(ws, runCol, runId, s), 'ON CONFLICT (ws, id) DO NOTHING');
}

export async function readStates(c: Queryable, table: StateTable, ws: number, runId: string): Promise<StateRow[]> {
  const runCol = table === 'flow_run_states' ? 'flow_run_id' : 'task_run_id';
  const r = await c.query(`SELECT * FROM ${table} WHERE ws = $1 AND ${runCol} = $2 ORDER BY "timestamp", id`, [
    ws,
    runId,
  ]);
  return (r.rows as Row[]).map(toState);
}

export async function readState(
  c: Queryable,
  table: StateTable,
  ws: number,
  id: string,
): Promise<StateRow | undefined> {
  const r = await c.query(`SELECT * FROM ${table} WHERE ws = $1 AND id = $2`, [ws, id]);
  return r.rows[0] ? toState(r.rows[0]) : undefined;
}
