/**
 * An `EventFilter` as a WHERE clause over `events e`, for every SQL engine (as `run-filters.ts` is
 * for runs). The structure — which conditions a filter makes and how they combine — is written
 * once; an engine's `EventSql` says how it spells the parts that differ: list membership, label
 * patterns (SQLite GLOB, PostgreSQL LIKE), the related-id index (SQLite's `event_related` table,
 * PostgreSQL's GIN index on `rid_hashes`) and JSON array elements.
 */
import type { AnyResourceFilter, EventFilter, RelatedFilter, TimeBuckets } from '../../domain/events.ts';
import { isBlank, parseTextQuery } from '../../domain/text-query.ts';
import { prefixUpperBound } from '../shared/event-keys.ts';
import type { SqlDialect } from './dialect.ts';

export interface EventSql {
  readonly dialect: SqlDialect;
  /** `expr` is one of `values`; `type` is the values' SQL type. */
  anyOf(expr: string, values: readonly (string | number)[], params: unknown[], type: 'text' | 'uuid' | 'int'): string;
  /** The text value of `label` in the JSON object `col` (null when absent). */
  label(col: string, label: string, params: unknown[]): string;
  /** `expr` matches a Prefect label pattern (`*` and `?` wildcards, case sensitive). */
  glob(expr: string, pattern: string, params: unknown[]): string;
  /** `expr` compared byte by byte (for prefix ranges), whatever the database's collation. */
  bytewise(expr: string): string;
  /** Events that may relate to one of `ids`, through the engine's related-id index (to be re-checked). */
  relatedCandidates(ids: string[], params: unknown[]): string;
  /** `FROM` of `e.related`'s elements as `r`, and the JSON of one element. */
  readonly relatedElements: string;
  readonly relatedElement: string;
  /** `e.related` as text, and the lowered text that full-text terms are searched in. */
  readonly relatedText: string;
  readonly haystack: string;
  /** Count-by (`event-counts.ts`): the bucket index floor((t − origin) / width), also before the origin. */
  bucket(expr: string, b: TimeBuckets): string;
  /** An integer as text, zero-padded to 20 digits (sorts as the number). */
  padded(expr: string): string;
  /** `sum(expr)` of integers, as an integer. */
  sumInt(expr: string): string;
}

/** One label value: exact, or a `*`/`?` pattern; a leading `!` negates (a missing label never matches). */
function valueMatch(e: EventSql, col: string, label: string, pattern: string, params: unknown[]): string {
  const neg = pattern.startsWith('!');
  const v = neg ? pattern.slice(1) : pattern;
  const cond = (expr: string) =>
    v.includes('*') || v.includes('?') ? e.glob(expr, v, params) : `${expr} = ${e.dialect.param(params, v)}`;
  if (!neg) return `(${cond(e.label(col, label, params))})`;
  const present = e.label(col, label, params);
  return `(${present} IS NOT NULL AND NOT (${cond(e.label(col, label, params))}))`;
}

/** Every label must match one of its values; an empty value list matches nothing. */
function labelsSql(e: EventSql, col: string, labels: Record<string, string[]>, params: unknown[]): string {
  const conds: string[] = [];
  for (const [label, values] of Object.entries(labels)) {
    if (values.length === 0) conds.push(e.dialect.false);
    else conds.push(`(${values.map((v) => valueMatch(e, col, label, v, params)).join(' OR ')})`);
  }
  return conds.length ? conds.join(' AND ') : e.dialect.true;
}

/** `expr` starts with one of the prefixes, as index ranges. */
export function prefixSql(d: SqlDialect, expr: string, prefixes: readonly string[], params: unknown[]): string {
  const alts = prefixes.map((pre) => {
    if (pre === '') return d.true;
    const upper = prefixUpperBound(pre);
    const lo = `${expr} >= ${d.param(params, pre)}`;
    return upper === undefined ? lo : `(${lo} AND ${expr} < ${d.param(params, upper)})`;
  });
  return `(${alts.join(' OR ')})`;
}

const all = (e: EventSql, conds: string[]) => (conds.length ? conds.join(' AND ') : e.dialect.true);

/** Conditions on one resource JSON (`col`): id, id prefix, role, (id, role) pairs, labels. */
function resourceConds(
  e: EventSql,
  col: string,
  f: {
    id?: string[];
    id_prefix?: string[];
    role?: string[];
    resources_in_roles?: string[][];
    labels?: Record<string, string[]>;
  },
  params: unknown[],
): string[] {
  const d = e.dialect;
  const conds: string[] = [];
  const idExpr = `(${col} ->> 'prefect.resource.id')`;
  const roleExpr = `(${col} ->> 'prefect.resource.role')`;
  if (f.id?.length) conds.push(e.anyOf(idExpr, f.id, params, 'text'));
  if (f.id_prefix?.length) conds.push(prefixSql(d, e.bytewise(idExpr), f.id_prefix, params));
  if (f.role?.length) conds.push(e.anyOf(roleExpr, f.role, params, 'text'));
  if (f.resources_in_roles?.length) {
    const alts = f.resources_in_roles.map(
      ([id, role]) => `(${idExpr} = ${d.param(params, id)} AND ${roleExpr} = ${d.param(params, role)})`,
    );
    conds.push(`(${alts.join(' OR ')})`);
  }
  if (f.labels) conds.push(labelsSql(e, col, f.labels, params));
  return conds;
}

/** The exact text a related resource id takes in the compact JSON Sightline stores. */
function idNeedle(id: string): string {
  return `"prefect.resource.id":${JSON.stringify(id)}`;
}

function relatedSql(e: EventSql, f: RelatedFilter, params: unknown[]): string {
  const conds: string[] = [];
  // Candidates through the id-hash index first, then the exact same-resource check on the JSON.
  if (f.id?.length) conds.push(e.relatedCandidates(f.id, params));
  else if (f.resources_in_roles?.length) {
    conds.push(
      e.relatedCandidates(
        f.resources_in_roles.map(([id]) => id),
        params,
      ),
    );
  }
  if (f.id?.length && !f.role?.length && !f.resources_in_roles?.length && !f.labels) {
    // Ids alone: the stored JSON is compact (JSON.stringify), so an id is present exactly when its
    // `"prefect.resource.id":"<id>"` text is — a substring test instead of parsing every candidate.
    const found = f.id.map((id) => e.dialect.contains(e.relatedText, idNeedle(id), params));
    conds.push(`(${found.join(' OR ')})`);
    return conds.join(' AND ');
  }
  const inner = resourceConds(e, e.relatedElement, f, params);
  conds.push(`EXISTS (SELECT 1 FROM ${e.relatedElements} WHERE ${all(e, inner)})`);
  return conds.join(' AND ');
}

function anyResourceSql(e: EventSql, f: AnyResourceFilter, params: unknown[]): string {
  const primary = resourceConds(e, 'e.resource', f, params);
  const related = resourceConds(e, e.relatedElement, f, params);
  return `((${all(e, primary)}) OR EXISTS (SELECT 1 FROM ${e.relatedElements} WHERE ${all(e, related)}))`;
}

function textSql(e: EventSql, query: string, params: unknown[]): string | undefined {
  const q = parseTextQuery(query);
  if (isBlank(q)) return undefined;
  const term = (t: string) => e.dialect.contains(e.haystack, t, params);
  const parts: string[] = q.required.map(term);
  if (q.include.length) parts.push(`(${q.include.map(term).join(' OR ')})`);
  for (const t of q.exclude) parts.push(`NOT (${term(t)})`);
  return parts.join(' AND ');
}

/**
 * The filter's conditions on the `ws`, `event` and `resource_id` columns of `t`: the part of a
 * filter that the events table and its hourly rollups (`event_rollup_*`) can both answer.
 */
export function keyColumnConds(
  e: EventSql,
  t: string,
  f: EventFilter,
  params: unknown[],
  wsKeys: number[] | undefined,
): string[] {
  const d = e.dialect;
  const conds: string[] = [];
  if (wsKeys) conds.push(wsKeys.length ? e.anyOf(`${t}.ws`, wsKeys, params, 'int') : d.false);
  const ev = f.event;
  if (ev?.prefix?.length) conds.push(prefixSql(d, `${t}.event`, ev.prefix, params));
  if (ev?.exclude_prefix?.length) conds.push(`NOT ${prefixSql(d, `${t}.event`, ev.exclude_prefix, params)}`);
  if (ev?.name?.length) conds.push(e.anyOf(`${t}.event`, ev.name, params, 'text'));
  if (ev?.exclude_name?.length) conds.push(`NOT ${e.anyOf(`${t}.event`, ev.exclude_name, params, 'text')}`);
  if (f.resource?.id?.length) conds.push(e.anyOf(`${t}.resource_id`, f.resource.id, params, 'text'));
  return conds;
}

/** The filter's conditions (without scope), AND-ed. `wsKeys`: Cloud `scope.workspace` resolved to keys. */
export function eventFilterSql(e: EventSql, f: EventFilter, params: unknown[], wsKeys: number[] | undefined): string {
  const d = e.dialect;
  const conds: string[] = [`e.occurred >= ${d.param(params, f.since)}`, `e.occurred <= ${d.param(params, f.until)}`];
  if (f.foreignAccount) conds.push(d.false);
  conds.push(...keyColumnConds(e, 'e', f, params, wsKeys));
  const res = f.resource;
  if (res?.id_prefix?.length) conds.push(prefixSql(d, 'e.resource_id', res.id_prefix, params));
  if (res?.labels) conds.push(labelsSql(e, 'e.resource', res.labels, params));
  for (const r of f.related ?? []) conds.push(relatedSql(e, r, params));
  for (const a of f.any_resource ?? []) conds.push(anyResourceSql(e, a, params));
  if (f.ids?.length) conds.push(e.anyOf('e.id', f.ids, params, 'uuid'));
  if (f.text) {
    const t = textSql(e, f.text, params);
    if (t) conds.push(t);
  }
  return conds.map((c) => `(${c})`).join(' AND ');
}
