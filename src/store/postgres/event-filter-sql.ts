/**
 * PostgreSQL: an `EventFilter` as a WHERE clause over `events e`. Like SQLite's builder, with
 * PostgreSQL's spelling: label patterns become LIKE (case sensitive; `*`→`%`, `?`→`_`), JSON is
 * read with `->>` and `json_array_elements`, related ids are found through the GIN index on
 * `rid_hashes` and re-checked on the JSON.
 */
import type { AnyResourceFilter, EventFilter, RelatedFilter } from '../../domain/events.ts';
import { isBlank, parseTextQuery } from '../../domain/text-query.ts';
import { prefixUpperBound, ridHash } from '../event-keys.ts';
import type { Params } from './params.ts';

function likePattern(glob: string): string {
  return glob
    .replace(/[\\%_]/g, (c) => `\\${c}`)
    .replace(/\*/g, '%')
    .replace(/\?/g, '_');
}

/** One label value: exact, or a `*`/`?` pattern; a leading `!` negates (a missing label never matches). */
function valueMatch(col: string, label: string, pattern: string, p: Params): string {
  const neg = pattern.startsWith('!');
  const v = neg ? pattern.slice(1) : pattern;
  const expr = `(${col} ->> ${p.add(label)})`;
  const cond = v.includes('*') || v.includes('?') ? `${expr} LIKE ${p.add(likePattern(v))}` : `${expr} = ${p.add(v)}`;
  return neg ? `(${expr} IS NOT NULL AND NOT (${cond}))` : `(${cond})`;
}

export function labelsSql(col: string, labels: Record<string, string[]>, p: Params): string {
  const conds: string[] = [];
  for (const [label, values] of Object.entries(labels)) {
    if (values.length === 0) conds.push('false');
    else conds.push(`(${values.map((v) => valueMatch(col, label, v, p)).join(' OR ')})`);
  }
  return conds.length ? conds.join(' AND ') : 'true';
}

function anyOf(expr: string, values: string[], p: Params): string {
  return `${expr} = ANY(${p.add(values)}::text[])`;
}

function prefixSql(expr: string, prefixes: string[], p: Params): string {
  const alts = prefixes.map((pre) => {
    if (pre === '') return 'true';
    const upper = prefixUpperBound(pre);
    const lo = `${expr} >= ${p.add(pre)}`;
    return upper === undefined ? lo : `(${lo} AND ${expr} < ${p.add(upper)})`;
  });
  return `(${alts.join(' OR ')})`;
}

/** Text columns compared with the C collation (byte order), whatever the database's default. */
const C = (expr: string) => `(${expr} COLLATE "C")`;

function resourceConds(
  col: string,
  f: {
    id?: string[];
    id_prefix?: string[];
    role?: string[];
    resources_in_roles?: string[][];
    labels?: Record<string, string[]>;
  },
  p: Params,
): string[] {
  const conds: string[] = [];
  const idExpr = `(${col} ->> 'prefect.resource.id')`;
  const roleExpr = `(${col} ->> 'prefect.resource.role')`;
  if (f.id?.length) conds.push(anyOf(idExpr, f.id, p));
  if (f.id_prefix?.length) conds.push(prefixSql(C(idExpr), f.id_prefix, p));
  if (f.role?.length) conds.push(anyOf(roleExpr, f.role, p));
  if (f.resources_in_roles?.length) {
    conds.push(
      `(${f.resources_in_roles.map(([id, role]) => `(${idExpr} = ${p.add(id)} AND ${roleExpr} = ${p.add(role)})`).join(' OR ')})`,
    );
  }
  if (f.labels) conds.push(labelsSql(col, f.labels, p));
  return conds;
}

function hashesSql(ids: string[], p: Params): string {
  return `e.rid_hashes && ${p.add(ids.map(ridHash))}::bigint[]`;
}

function relatedSql(f: RelatedFilter, p: Params): string {
  const conds: string[] = [];
  if (f.id?.length) conds.push(hashesSql(f.id, p));
  else if (f.resources_in_roles?.length)
    conds.push(
      hashesSql(
        f.resources_in_roles.map(([id]) => id),
        p,
      ),
    );
  if (f.id?.length && !f.role?.length && !f.resources_in_roles?.length && !f.labels) {
    // Ids alone: the stored JSON is compact (JSON.stringify, kept as text by the json type), so an
    // id is present exactly when its `"prefect.resource.id":"<id>"` text is.
    conds.push(
      `(${f.id.map((id) => `strpos(e.related::text, ${p.add(`"prefect.resource.id":${JSON.stringify(id)}`)}) > 0`).join(' OR ')})`,
    );
    return conds.join(' AND ');
  }
  const inner = resourceConds('r', f, p);
  conds.push(
    `EXISTS (SELECT 1 FROM json_array_elements(e.related) r WHERE ${inner.length ? inner.join(' AND ') : 'true'})`,
  );
  return conds.join(' AND ');
}

function anyResourceSql(f: AnyResourceFilter, p: Params): string {
  const primary = resourceConds('e.resource', f, p);
  const related = resourceConds('r', f, p);
  return `((${primary.length ? primary.join(' AND ') : 'true'}) OR EXISTS (SELECT 1 FROM json_array_elements(e.related) r WHERE ${
    related.length ? related.join(' AND ') : 'true'
  }))`;
}

const HAYSTACK = "lower(e.event || ' ' || e.resource::text || ' ' || e.related::text || ' ' || e.payload::text)";

function textSql(query: string, p: Params): string | undefined {
  const q = parseTextQuery(query);
  if (isBlank(q)) return undefined;
  const term = (t: string) => `strpos(${HAYSTACK}, ${p.add(t)}) > 0`;
  const parts: string[] = q.required.map(term);
  if (q.include.length) parts.push(`(${q.include.map(term).join(' OR ')})`);
  for (const t of q.exclude) parts.push(`NOT (${term(t)})`);
  return parts.join(' AND ');
}

/** The filter's conditions (without scope), AND-ed. `wsKeys`: Cloud `scope.workspace` resolved. */
export function eventFilterSql(f: EventFilter, p: Params, wsKeys: number[] | undefined): string {
  const conds: string[] = [`e.occurred >= ${p.add(f.since)}`, `e.occurred <= ${p.add(f.until)}`];
  if (f.foreignAccount) conds.push('false');
  if (wsKeys) conds.push(wsKeys.length ? `e.ws = ANY(${p.add(wsKeys)}::int[])` : 'false');
  const ev = f.event;
  if (ev?.prefix?.length) conds.push(prefixSql('e.event', ev.prefix, p));
  if (ev?.exclude_prefix?.length) conds.push(`NOT ${prefixSql('e.event', ev.exclude_prefix, p)}`);
  if (ev?.name?.length) conds.push(anyOf('e.event', ev.name, p));
  if (ev?.exclude_name?.length) conds.push(`NOT ${anyOf('e.event', ev.exclude_name, p)}`);
  const res = f.resource;
  if (res?.id?.length) conds.push(anyOf('e.resource_id', res.id, p));
  if (res?.id_prefix?.length) conds.push(prefixSql('e.resource_id', res.id_prefix, p));
  if (res?.labels) conds.push(labelsSql('e.resource', res.labels, p));
  for (const r of f.related ?? []) conds.push(relatedSql(r, p));
  for (const a of f.any_resource ?? []) conds.push(anyResourceSql(a, p));
  if (f.ids?.length) conds.push(`e.id = ANY(${p.add(f.ids)}::uuid[])`);
  if (f.text) {
    const t = textSql(f.text, p);
    if (t) conds.push(t);
  }
  return conds.map((c) => `(${c})`).join(' AND ');
}
