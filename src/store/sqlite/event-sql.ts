/**
 * SQLite's spelling of event filters and count-by (`sql/event-filters.ts`, `sql/event-counts.ts`):
 * label patterns use GLOB (case sensitive, `*` and `?` as in Prefect; `[` is escaped); lists are
 * expanded to `IN (?, …)` so the planner can use the index on the column; related ids go through
 * the `event_related` index, and conditions that must hold on one related resource are checked on
 * its JSON with `json_each`.
 */
import { ridHash } from '../shared/event-keys.ts';
import type { EventSql } from '../sql/event-filters.ts';
import { sqliteDialect } from './dialect.ts';

export type Param = string | number | null;

const placeholders = (values: readonly unknown[], params: unknown[]) =>
  values.map((v) => sqliteDialect.param(params, v)).join(', ');

export const sqliteEventSql: EventSql = {
  dialect: sqliteDialect,
  anyOf: (expr, values, params) => `${expr} IN (${placeholders(values, params)})`,
  label(col, label, params) {
    const p = sqliteDialect.param(params, label);
    if (/^[A-Za-z0-9_.:/ -]+$/.test(label)) return `(${col} ->> ${p})`;
    return `(SELECT value FROM json_each(${col}) WHERE key = ${p})`;
  },
  glob: (expr, pattern, params) => `${expr} GLOB ${sqliteDialect.param(params, pattern.replace(/\[/g, '[[]'))}`,
  bytewise: (expr) => expr,
  relatedCandidates: (ids, params) =>
    `e.seq IN (SELECT seq FROM event_related WHERE rid_hash IN (${placeholders(ids.map(ridHash), params)}))`,
  relatedElements: 'json_each(e.related) r',
  relatedElement: 'r.value',
  relatedText: 'e.related',
  haystack: "lower(e.event || ' ' || e.resource || ' ' || e.related || ' ' || e.payload)",
  // Integers only, so inlined.
  bucket(expr, b) {
    const o = Math.trunc(b.origin);
    const w = Math.trunc(b.width);
    return `((${expr} - ${o}) - (((${expr} - ${o}) % ${w} + ${w}) % ${w})) / ${w}`;
  },
  padded: (expr) => `printf('%020d', ${expr})`,
  sumInt: (expr) => `sum(${expr})`,
};
