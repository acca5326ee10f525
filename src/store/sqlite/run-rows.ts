/** SQLite: run, state and span rows (JSON in TEXT, booleans as 1/0) to domain values and back. */
import type { StatementResultingChanges } from 'node:sqlite';
import type { StateRow } from '../../domain/runs/states.ts';
import { type Row, rowDecoders } from '../shared/row-decoding.ts';
import { type Columns, type ColumnValue, stateColumns } from '../shared/run-columns.ts';
import type { SqlReader } from '../sql/run-reads.ts';
import type { Db } from './db.ts';
import { sqliteDialect } from './dialect.ts';

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
const decoders = rowDecoders({
  json: <T>(v: unknown) => (typeof v === 'string' ? JSON.parse(v) : null) as T,
  bool: (v) => v === 1,
});
export const { toArtifact, toFlow, toFlowRun, toTaskRun, toSpan, toWorkspace } = decoders;

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

/** The shared run reads (`sql/run-reads.ts`) on this connection. */
export function sqliteReader(db: Db, tenancy: Pick<SqlReader, 'key'>): SqlReader {
  return {
    dialect: sqliteDialect,
    decode: decoders,
    key: (workspaceId) => tenancy.key(workspaceId),
    all: (sql, params) => db.stmt(sql).all(...(params as SqlValue[])) as Row[],
  };
}
