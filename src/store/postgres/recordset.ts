/**
 * PostgreSQL: many rows written in one statement. The rows travel as one JSON array read by
 * `json_populate_recordset(NULL::<table>, …)`, so each value takes its column's type (and
 * collation) from the table itself: one parameter whatever the row count, no per-column casts.
 */
import type pg from 'pg';
import type { ColumnValue } from '../shared/run-columns.ts';
import type { Queryable } from './db.ts';

type Rows = Record<string, ColumnValue>[];

export interface RecordsetOptions {
  /** Columns whose values are JSON text already: embedded as JSON, so a jsonb column stores the value, not a string. */
  json?: ReadonlySet<string>;
}

function recordset(rows: Rows, json: ReadonlySet<string> | undefined): string {
  const out: string[] = [];
  for (const r of rows) {
    const fields: string[] = [];
    for (const k in r) {
      const v = r[k];
      fields.push(`${JSON.stringify(k)}:${json?.has(k) && typeof v === 'string' ? v : JSON.stringify(v)}`);
    }
    out.push(`{${fields.join(',')}}`);
  }
  return `[${out.join(',')}]`;
}

const quoted = (names: string[]) => names.map((n) => `"${n}"`);

/** `INSERT INTO table` of rows with the same columns, then `tail` (a conflict clause, `RETURNING`). */
export function insertRows(
  c: Queryable,
  table: string,
  rows: Rows,
  tail = '',
  opts: RecordsetOptions = {},
): Promise<pg.QueryResult> {
  const names = quoted(Object.keys(rows[0])).join(', ');
  return c.query(
    `INSERT INTO ${table} (${names}) SELECT ${names} FROM json_populate_recordset(NULL::${table}, $1::json) ${tail}`,
    [recordset(rows, opts.json)],
  );
}

/**
 * `UPDATE table` of rows with the same columns, each matched on the `key` columns it holds; `set`
 * adds assignments (`t` is the row, `v` the new values), `where` conditions.
 */
export function updateRows(
  c: Queryable,
  table: string,
  rows: Rows,
  key: string[],
  opts: RecordsetOptions & { set?: string; where?: string } = {},
): Promise<pg.QueryResult> {
  const sets = quoted(Object.keys(rows[0]).filter((n) => !key.includes(n))).map((n) => `${n} = v.${n}`);
  if (opts.set) sets.push(opts.set);
  const on = quoted(key).map((k) => `t.${k} = v.${k}`);
  if (opts.where) on.push(opts.where);
  return c.query(
    `UPDATE ${table} t SET ${sets.join(', ')} FROM json_populate_recordset(NULL::${table}, $1::json) v WHERE ${on.join(' AND ')}`,
    [recordset(rows, opts.json)],
  );
}
