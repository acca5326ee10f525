/** SQLite: run, state and span rows (JSON in TEXT, booleans as 1/0) to domain values and back. */
import type { StatementResultingChanges } from 'node:sqlite';
import type { StateRow } from '../../domain/runs/states.ts';
import { JOINED_STATE_COLUMNS, type Row, rowDecoders } from '../row-decoding.ts';
import { type Columns, type ColumnValue, stateColumns } from '../run-columns.ts';
import type { Db } from './db.ts';

export type { Row };
export type SqlValue = string | number | null;

const bindable = (v: ColumnValue): SqlValue => (typeof v === 'boolean' ? Number(v) : v);

/** `INSERT INTO table` of a column record (`run-columns.ts`), then `tail` (e.g. a conflict clause). */
export function insertColumns(db: Db, table: string, cols: Columns, tail = ''): StatementResultingChanges {
  const names = Object.keys(cols);
  const sql = `INSERT INTO ${table} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')}) ${tail}`;
  return db.stmt(sql).run(...Object.values(cols).map(bindable));
}

/** `UPDATE table SET` a column record on the row of `(ws, id)`. */
export function updateColumns(db: Db, table: string, cols: Columns, ws: number, id: string): StatementResultingChanges {
  const names = Object.keys(cols);
  const sql = `UPDATE ${table} SET ${names.map((n) => `${n} = ?`).join(', ')} WHERE ws = ? AND id = ?`;
  return db.stmt(sql).run(...Object.values(cols).map(bindable), ws, id);
}

/** SQLite hands JSON back as text and booleans as 0/1. */
export const { toArtifact, toState, toFlow, toFlowRun, toTaskRun, toSpan } = rowDecoders({
  json: <T>(v: unknown) => (typeof v === 'string' ? JSON.parse(v) : null) as T,
  bool: (v) => v === 1,
});

const STATE_COLS = JOINED_STATE_COLUMNS.map((c) => `s.${c} AS s_${c}`).join(', ');

export const FLOW_RUN_SELECT = `SELECT fr.*, ${STATE_COLS} FROM flow_runs fr LEFT JOIN flow_run_states s ON s.ws = fr.ws AND s.id = fr.state_id`;
export const TASK_RUN_SELECT = `SELECT tr.*, ${STATE_COLS} FROM task_runs tr LEFT JOIN task_run_states s ON s.ws = tr.ws AND s.id = tr.state_id`;

/** Inserts a state into `flow_run_states` or `task_run_states`; a state id already there is kept. */
export function insertState(
  db: Db,
  table: 'flow_run_states' | 'task_run_states',
  ws: number,
  runId: string,
  s: StateRow,
): void {
  const runCol = table === 'flow_run_states' ? 'flow_run_id' : 'task_run_id';
  insertColumns(db, table, stateColumns(ws, runCol, runId, s), 'ON CONFLICT (ws, id) DO NOTHING');
}

export function readStates(
  db: Db,
  table: 'flow_run_states' | 'task_run_states',
  ws: number,
  runId: string,
): StateRow[] {
  const runCol = table === 'flow_run_states' ? 'flow_run_id' : 'task_run_id';
  return (
    db.stmt(`SELECT * FROM ${table} WHERE ws = ? AND ${runCol} = ? ORDER BY timestamp, id`).all(ws, runId) as Row[]
  ).map(toState);
}

export function readState(
  db: Db,
  table: 'flow_run_states' | 'task_run_states',
  ws: number,
  id: string,
): StateRow | undefined {
  const r = db.stmt(`SELECT * FROM ${table} WHERE ws = ? AND id = ?`).get(ws, id) as Row | undefined;
  return r ? toState(r) : undefined;
}
