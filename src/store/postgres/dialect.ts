/** PostgreSQL's side of the shared run SQL: numbered parameters, jsonb operators, ILIKE. */
import type { SqlDialect } from '../sql/dialect.ts';

/** Appends a parameter and returns its placeholder (`$n`). */
export function param(params: unknown[], value: unknown): string {
  params.push(value);
  return `$${params.length}`;
}

export const pgDialect: SqlDialect = {
  param,
  inList(col, values, params, negate = false) {
    const any = `${col} = ANY(${this.param(params, values)})`;
    return negate ? `NOT (${any})` : any;
  },
  arrayHasAll(col, values, params) {
    return `${col} @> ${this.param(params, JSON.stringify(values))}::jsonb`;
  },
  arrayHasAny(col, values, params) {
    if (values.length === 0) return 'FALSE';
    return `${col} ?| ${this.param(params, values)}::text[]`;
  },
  arrayEmpty(col) {
    return `${col} = '[]'::jsonb`;
  },
  jsonText(col, key) {
    return `(${col} ->> '${key}')`;
  },
  logRunId(expr) {
    return `${expr}::uuid`;
  },
  containsCI(col, text, params) {
    return `${col} ILIKE ${this.param(params, `%${text}%`)}`;
  },
  contains(col, text, params) {
    return `strpos(${col}, ${this.param(params, text)}) > 0`;
  },
  startsWith(col, text, params) {
    return `starts_with(${col}, ${this.param(params, text)})`;
  },
  true: 'TRUE',
  false: 'FALSE',
};
