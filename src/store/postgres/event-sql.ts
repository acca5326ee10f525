/**
 * PostgreSQL's spelling of event filters and count-by (`sql/event-filters.ts`,
 * `sql/event-counts.ts`): lists as one array parameter, label patterns become LIKE (case
 * sensitive; `*`→`%`, `?`→`_`), JSON is read with `->>` and `json_array_elements`, related ids are
 * found through the GIN index on `rid_hashes` and re-checked on the JSON; id prefixes compare with
 * the C collation (byte order).
 */
import { ridHash } from '../shared/event-keys.ts';
import type { EventSql } from '../sql/event-filters.ts';
import { pgDialect } from './dialect.ts';

function likePattern(glob: string): string {
  return glob
    .replace(/[\\%_]/g, (c) => `\\${c}`)
    .replace(/\*/g, '%')
    .replace(/\?/g, '_');
}

export const pgEventSql: EventSql = {
  dialect: pgDialect,
  anyOf: (expr, values, params, type) => `${expr} = ANY(${pgDialect.param(params, values)}::${type}[])`,
  label: (col, label, params) => `(${col} ->> ${pgDialect.param(params, label)})`,
  glob: (expr, pattern, params) => `${expr} LIKE ${pgDialect.param(params, likePattern(pattern))}`,
  bytewise: (expr) => `(${expr} COLLATE "C")`,
  relatedCandidates: (ids, params) => `e.rid_hashes && ${pgDialect.param(params, ids.map(ridHash))}::bigint[]`,
  relatedElements: 'json_array_elements(e.related) r',
  relatedElement: 'r',
  relatedText: 'e.related::text',
  haystack: "lower(e.event || ' ' || e.resource::text || ' ' || e.related::text || ' ' || e.payload::text)",
  bucket: (expr, b) => `floor((${expr} - ${Math.trunc(b.origin)})::numeric / ${Math.trunc(b.width)})::bigint`,
  padded: (expr) => `lpad((${expr})::text, 20, '0')`,
  // sum(bigint) is numeric, which `pg` would hand back as text.
  sumInt: (expr) => `sum(${expr})::bigint`,
};
