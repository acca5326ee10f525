/**
 * Where a span sits in its trace, and how spans move when parent links arrive late or go away.
 *
 * A span's ancestors are found by following parent links. When a parent has not arrived yet (a
 * task-run event before its flow run, a subflow before its tracking task run) the chain stops at
 * the missing id, which stands in as the trace's root: the span's `trace_id` is that id and its
 * `path` starts with it. When the missing span arrives, its subtree is re-rooted under it. A link
 * that would close a cycle is ignored (the span becomes a root), so every path is finite.
 */
import type { ChildStateCounts, SpanPlacement, SpanRow, SpanSource } from './span.ts';

export function rootPlacement(spanId: string, rootTrace?: string): SpanPlacement {
  return { trace_id: rootTrace ?? spanId, parent_span_id: null, path: [], depth: 0 };
}

/**
 * The placement of span `spanId` hung under `parentId`, given the parent span when it exists.
 * A missing parent stands in as the root: trace = parent id (or `rootTrace`), path = [parent id].
 */
export function place(
  spanId: string,
  parentId: string | null,
  parent: Pick<SpanRow, 'span_id' | 'trace_id' | 'path'> | undefined,
  rootTrace?: string,
): SpanPlacement {
  if (parentId === null || parentId === spanId) return rootPlacement(spanId, rootTrace);
  if (!parent) return { trace_id: rootTrace ?? parentId, parent_span_id: parentId, path: [parentId], depth: 1 };
  // The parent descends from this span: linking would close a cycle.
  if (parent.path.includes(spanId)) return rootPlacement(spanId, rootTrace);
  const path = [...parent.path, parent.span_id];
  return { trace_id: parent.trace_id, parent_span_id: parentId, path, depth: path.length };
}

export function samePlacement(a: SpanPlacement, b: SpanPlacement): boolean {
  return a.trace_id === b.trace_id && a.parent_span_id === b.parent_span_id && sameList(a.path, b.path);
}

/**
 * A descendant's new trace and path after its ancestor `spanId` moved to `moved`: the part of the
 * path below `spanId` is kept, the part above is replaced.
 */
export function replant(
  spanId: string,
  moved: Pick<SpanPlacement, 'trace_id' | 'path'>,
  descendant: Pick<SpanPlacement, 'path'>,
): Pick<SpanPlacement, 'trace_id' | 'path' | 'depth'> {
  const i = descendant.path.indexOf(spanId);
  const path = [...moved.path, spanId, ...(i < 0 ? [] : descendant.path.slice(i + 1))];
  return { trace_id: moved.trace_id, path, depth: path.length };
}

/** What a span adds to its parent's `child_count` / `child_state_counts`. */
export interface ChildContribution {
  parent: string | null;
  span_type: string;
  state_name: string | null;
}

export function contributionOf(s: Pick<SpanRow, 'parent_span_id' | 'span_type' | 'state_name'>): ChildContribution {
  return { parent: s.parent_span_id, span_type: s.span_type, state_name: s.state_name };
}

export function sameContribution(a: ChildContribution | undefined, b: ChildContribution | undefined): boolean {
  return a?.parent === b?.parent && a?.span_type === b?.span_type && a?.state_name === b?.state_name;
}

/**
 * Counts after one child with `c` was added (`delta` +1) or taken away (−1). Children without a
 * state (artifacts) count in `child_count` only.
 */
export function adjustChildCounts(
  counts: { child_count: number; child_state_counts: ChildStateCounts },
  c: ChildContribution,
  delta: 1 | -1,
): { child_count: number; child_state_counts: ChildStateCounts } {
  const child_state_counts: ChildStateCounts = {};
  for (const [t, byName] of Object.entries(counts.child_state_counts)) child_state_counts[t] = { ...byName };
  if (c.state_name !== null) {
    const byName = child_state_counts[c.span_type] ?? {};
    const n = (byName[c.state_name] ?? 0) + delta;
    if (n > 0) byName[c.state_name] = n;
    else delete byName[c.state_name];
    if (Object.keys(byName).length) child_state_counts[c.span_type] = byName;
    else delete child_state_counts[c.span_type];
  }
  return { child_count: Math.max(0, counts.child_count + delta), child_state_counts };
}

/** Counts of a span's existing children, from `(span_type, state_name, n)` groups. */
export function childCountsFrom(groups: { span_type: string; state_name: string | null; n: number }[]): {
  child_count: number;
  child_state_counts: ChildStateCounts;
} {
  let child_count = 0;
  const child_state_counts: ChildStateCounts = {};
  for (const g of groups) {
    child_count += g.n;
    if (g.state_name === null) continue;
    const byName = (child_state_counts[g.span_type] ??= {});
    byName[g.state_name] = (byName[g.state_name] ?? 0) + g.n;
  }
  return { child_count, child_state_counts };
}

/** The stored fields of a span computed from its source and placement (counts and version aside). */
export type SpanFields = Omit<SpanRow, 'version' | 'published' | 'child_count' | 'child_state_counts'>;

export function spanFields(source: SpanSource, placement: SpanPlacement): SpanFields {
  const { parent_id: _parent, root_trace_id: _root, otel_span_id: _otel, ...rest } = source;
  return { ...rest, ...placement };
}

/** True when nothing the span renders from its source and placement differs. */
export function sameFields(a: SpanFields, b: SpanFields): boolean {
  return (
    a.span_type === b.span_type &&
    a.name === b.name &&
    a.start_time === b.start_time &&
    a.end_time === b.end_time &&
    a.total_run_time === b.total_run_time &&
    a.state_type === b.state_type &&
    a.state_name === b.state_name &&
    a.state_timestamp === b.state_timestamp &&
    sameList(a.tags, b.tags) &&
    sameAttributes(a.attributes, b.attributes) &&
    samePlacement(a, b)
  );
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameAttributes(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (let i = 0; i < ka.length; i++) {
    const k = ka[i];
    if (!(k in b) || a[k] !== b[k]) return false;
  }
  return true;
}
