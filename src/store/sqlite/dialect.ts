/** SQLite's side of the shared run SQL: JSON via the json1 functions, booleans as 1/0. */
import type { SqlDialect } from '../sql/dialect.ts';

export const sqliteDialect: SqlDialect = {
  param(params, value) {
    params.push(value);
    return '?';
  },
  inList(col, values, params, negate = false) {
    return `${col} ${negate ? 'NOT IN' : 'IN'} (SELECT value FROM json_each(${this.param(params, JSON.stringify(values))}))`;
  },
  arrayHasAll(col, values, params) {
    const wanted = this.param(params, JSON.stringify(values));
    return `NOT EXISTS (SELECT 1 FROM json_each(${wanted}) w WHERE w.value NOT IN (SELECT value FROM json_each(${col})))`;
  },
  arrayHasAny(col, values, params) {
    if (values.length === 0) return '0';
    return `EXISTS (SELECT 1 FROM json_each(${col}) WHERE value IN (SELECT value FROM json_each(${this.param(params, JSON.stringify(values))})))`;
  },
  arrayEmpty(col) {
    return `json_array_length(${col}) = 0`;
  },
  jsonText(col, key) {
    return `json_extract(${col}, '$.${key}')`;
  },
  logRunId(expr) {
    return expr;
  },
  containsCI(col, text, params) {
    // SQLite's LIKE is case-insensitive for ASCII, as Prefect's ILIKE on its SQLite engine.
    return `${col} LIKE ${this.param(params, `%${text}%`)}`;
  },
  contains(col, text, params) {
    return `instr(${col}, ${this.param(params, text)}) > 0`;
  },
  startsWith(col, text, params) {
    return `substr(${col}, 1, ${this.param(params, text.length)}) = ${this.param(params, text)}`;
  },
  true: '1',
  false: '0',
};
