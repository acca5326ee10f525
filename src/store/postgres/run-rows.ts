/** PostgreSQL: run, state and span rows (jsonb comes back parsed, int8 as numbers) to domain values, and state rows. */
import type pg from 'pg';
import type { StateRow } from '../../domain/runs/states.ts';
import { rowDecoders } from '../shared/row-decoding.ts';
import { type Columns, RUN_JSON_COLUMNS, stateColumns } from '../shared/run-columns.ts';
import type { SqlReader, StateTable } from '../sql/run-reads.ts';
import type { PgDb, Queryable, Row } from './db.ts';
import { pgDialect } from './dialect.ts';

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
const decoders = rowDecoders({
  json: <T>(v: unknown) => (v ?? null) as T,
  bool: (v) => v === true,
});
export const { toArtifact, toFlow, toFlowRun, toTaskRun, toSpan, toWorkspace } = decoders;

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

/** The shared run reads (`sql/run-reads.ts`) on the pool. */
export function pgReader(db: PgDb, tenancy: Pick<SqlReader, 'key'>): SqlReader {
  return {
    dialect: pgDialect,
    decode: decoders,
    key: (workspaceId) => tenancy.key(workspaceId),
    all: (sql, params) => db.query<Row>(sql, params),
  };
}
