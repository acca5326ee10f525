/**
 * Span filters, keyset and order → SQL, shared by every engine. Table alias `s` = spans; every
 * fragment pushes its parameters in text order, so `?` and `$n` placeholders both work.
 */
import type { SpanFilters } from '../../domain/spans/query.ts';
import type { SpanPosition } from '../../domain/spans/span.ts';
import type { SqlDialect } from './dialect.ts';

/** The conditions of `f` (each one must hold); none when `f` is empty. */
export function spanConditions(d: SqlDialect, f: SpanFilters, params: unknown[]): string[] {
  const out: string[] = [];
  if (f.parent_span_id !== undefined) out.push(`s.parent_span_id = ${d.param(params, f.parent_span_id)}`);
  if (f.depth !== undefined) out.push(`s.depth = ${d.param(params, f.depth)}`);
  if (f.entities?.length) out.push(d.inList('s.span_type', f.entities, params));
  if (f.state_types?.length) out.push(d.inList('s.state_type', f.state_types, params));
  if (f.state_names?.length) out.push(d.inList('s.state_name', f.state_names, params));
  if (f.tags?.length) out.push(d.arrayHasAny('s.tags', f.tags, params));
  const t = f.text;
  if (t) {
    // `search` is stored lower-cased and the parser lower-cases terms.
    for (const term of t.exclude) out.push(`NOT (${d.contains('s.search', term, params)})`);
    for (const term of t.required) out.push(d.contains('s.search', term, params));
    if (t.include.length) out.push(`(${t.include.map((term) => d.contains('s.search', term, params)).join(' OR ')})`);
  }
  return out;
}

/** Strictly after `p` in span order (ascending) or its reverse (descending). */
export function spanAfter(d: SqlDialect, p: SpanPosition, descending: boolean, params: unknown[]): string {
  const start = d.param(params, p.start);
  const id = d.param(params, p.id);
  return `(s.sort_start, s.span_id) ${descending ? '<' : '>'} (${start}, ${id})`;
}

export function spanOrder(descending: boolean): string {
  return descending ? 's.sort_start DESC, s.span_id DESC' : 's.sort_start ASC, s.span_id ASC';
}
