/**
 * SQLite: an `EventFilter` as a WHERE clause over `events e`. Label patterns use GLOB (case
 * sensitive, `*` and `?` as in Prefect; `[` is escaped); prefixes are index ranges; related ids
 * go through the `event_related` index, and conditions that must hold on one related resource
 * are checked on its JSON with `json_each`.
 */
import type { AnyResourceFilter, EventFilter, RelatedFilter } from '../../domain/events.ts';
import { isBlank, parseTextQuery } from '../../domain/text-query.ts';
import { prefixUpperBound, ridHash } from '../event-keys.ts';

export { prefixUpperBound, ridHash };

export type Param = string | number | null;

export interface SqlParts {
  sql: string;
  params: Param[];
}

function ridCandidates(ids: string[], params: Param[]): string {
  params.push(...ids.map(ridHash));
  return `e.seq IN (SELECT seq FROM event_related WHERE rid_hash IN (${ids.map(() => '?').join(', ')}))`;
}

function globEscape(s: string): string {
  return s.replace(/\[/g, '[[]');
}

/** Label lookup on a JSON object column (pushes its parameter): `->>` for plain labels, json_each otherwise. */
function labelExpr(col: string, label: string, params: Param[]): string {
  params.push(label);
  if (/^[A-Za-z0-9_.:/ -]+$/.test(label)) return `(${col} ->> ?)`;
  return `(SELECT value FROM json_each(${col}) WHERE key = ?)`;
}

/** One label value: exact, or a `*`/`?` pattern; a leading `!` negates (a missing label never matches). */
function valueMatch(col: string, label: string, pattern: string, params: Param[]): string {
  const neg = pattern.startsWith('!');
  const p = neg ? pattern.slice(1) : pattern;
  const glob = p.includes('*') || p.includes('?');
  const op = glob ? 'GLOB' : '=';
  const first = labelExpr(col, label, params);
  if (!neg) {
    params.push(glob ? globEscape(p) : p);
    return `(${first} ${op} ?)`;
  }
  const second = labelExpr(col, label, params);
  params.push(glob ? globEscape(p) : p);
  return `(${first} IS NOT NULL AND NOT (${second} ${op} ?))`;
}

/** Every label must match one of its values; an empty value list matches nothing. */
export function labelsSql(col: string, labels: Record<string, string[]>, params: Param[]): string {
  const conds: string[] = [];
  for (const [label, values] of Object.entries(labels)) {
    if (values.length === 0) conds.push('0');
    else conds.push(`(${values.map((v) => valueMatch(col, label, v, params)).join(' OR ')})`);
  }
  return conds.length ? conds.join(' AND ') : '1';
}

function inList(expr: string, values: string[], params: Param[]): string {
  params.push(...values);
  return `${expr} IN (${values.map(() => '?').join(', ')})`;
}

function prefixSql(expr: string, prefixes: string[], params: Param[]): string {
  const alts = prefixes.map((p) => {
    if (p === '') return '1';
    const upper = prefixUpperBound(p);
    params.push(p);
    if (upper === undefined) return `${expr} >= ?`;
    params.push(upper);
    return `(${expr} >= ? AND ${expr} < ?)`;
  });
  return `(${alts.join(' OR ')})`;
}

/** Conditions on one resource JSON (`col`): id, id prefix, role, (id, role) pairs, labels. */
function resourceConds(
  col: string,
  f: {
    id?: string[];
    id_prefix?: string[];
    role?: string[];
    resources_in_roles?: string[][];
    labels?: Record<string, string[]>;
  },
  params: Param[],
): string[] {
  const conds: string[] = [];
  const idExpr = `(${col} ->> 'prefect.resource.id')`;
  const roleExpr = `(${col} ->> 'prefect.resource.role')`;
  if (f.id?.length) conds.push(inList(idExpr, f.id, params));
  if (f.id_prefix?.length) conds.push(prefixSql(idExpr, f.id_prefix, params));
  if (f.role?.length) conds.push(inList(roleExpr, f.role, params));
  if (f.resources_in_roles?.length) {
    const alts = f.resources_in_roles.map(([id, role]) => {
      params.push(id, role);
      return `(${idExpr} = ? AND ${roleExpr} = ?)`;
    });
    conds.push(`(${alts.join(' OR ')})`);
  }
  if (f.labels) conds.push(labelsSql(col, f.labels, params));
  return conds;
}

function relatedSql(f: RelatedFilter, params: Param[]): string {
  const conds: string[] = [];
  // Candidates through the id-hash index first, then the exact same-resource check on the JSON.
  if (f.id?.length) conds.push(ridCandidates(f.id, params));
  else if (f.resources_in_roles?.length)
    conds.push(
      ridCandidates(
        f.resources_in_roles.map(([id]) => id),
        params,
      ),
    );
  if (f.id?.length && !f.role?.length && !f.resources_in_roles?.length && !f.labels) {
    // Ids alone: the stored JSON is compact (JSON.stringify), so an id is present exactly when its
    // `"prefect.resource.id":"<id>"` text is — a substring test instead of parsing every candidate.
    conds.push(
      `(${f.id
        .map((id) => {
          params.push(idNeedle(id));
          return 'instr(e.related, ?) > 0';
        })
        .join(' OR ')})`,
    );
    return conds.join(' AND ');
  }
  const inner = resourceConds('r.value', f, params);
  conds.push(`EXISTS (SELECT 1 FROM json_each(e.related) r WHERE ${inner.length ? inner.join(' AND ') : '1'})`);
  return conds.join(' AND ');
}

/** The exact text a related resource id takes in the compact JSON Sightline stores. */
export function idNeedle(id: string): string {
  return `"prefect.resource.id":${JSON.stringify(id)}`;
}

function anyResourceSql(f: AnyResourceFilter, params: Param[]): string {
  const primary = resourceConds('e.resource', f, params);
  const related = resourceConds('r.value', f, params);
  return `((${primary.length ? primary.join(' AND ') : '1'}) OR EXISTS (SELECT 1 FROM json_each(e.related) r WHERE ${
    related.length ? related.join(' AND ') : '1'
  }))`;
}

const HAYSTACK = "lower(e.event || ' ' || e.resource || ' ' || e.related || ' ' || e.payload)";

function textSql(query: string, params: Param[]): string | undefined {
  const q = parseTextQuery(query);
  if (isBlank(q)) return undefined;
  const term = (t: string) => {
    params.push(t);
    return `instr(${HAYSTACK}, ?) > 0`;
  };
  const parts: string[] = q.required.map(term);
  if (q.include.length) parts.push(`(${q.include.map(term).join(' OR ')})`);
  for (const t of q.exclude) parts.push(`NOT (${term(t)})`);
  return parts.join(' AND ');
}

/** The filter's conditions (without scope), AND-ed. `wsKeys` resolves Cloud `scope.workspace`. */
export function eventFilterSql(f: EventFilter, params: Param[], wsKeys: (ids: string[]) => number[]): string {
  const conds: string[] = ['e.occurred >= ?', 'e.occurred <= ?'];
  params.push(f.since, f.until);
  if (f.foreignAccount) conds.push('0');
  if (f.workspaces) {
    const keys = wsKeys(f.workspaces);
    conds.push(keys.length ? `e.ws IN (${keys.join(', ')})` : '0');
  }
  const ev = f.event;
  if (ev?.prefix?.length) conds.push(prefixSql('e.event', ev.prefix, params));
  if (ev?.exclude_prefix?.length) conds.push(`NOT ${prefixSql('e.event', ev.exclude_prefix, params)}`);
  if (ev?.name?.length) conds.push(inList('e.event', ev.name, params));
  if (ev?.exclude_name?.length) conds.push(`NOT ${inList('e.event', ev.exclude_name, params)}`);
  const res = f.resource;
  if (res?.id?.length) conds.push(inList('e.resource_id', res.id, params));
  if (res?.id_prefix?.length) conds.push(prefixSql('e.resource_id', res.id_prefix, params));
  if (res?.labels) conds.push(labelsSql('e.resource', res.labels, params));
  for (const r of f.related ?? []) conds.push(relatedSql(r, params));
  for (const a of f.any_resource ?? []) conds.push(anyResourceSql(a, params));
  if (f.ids?.length) conds.push(inList('e.id', f.ids, params));
  if (f.text) {
    const t = textSql(f.text, params);
    if (t) conds.push(t);
  }
  return conds.map((c) => `(${c})`).join(' AND ');
}
