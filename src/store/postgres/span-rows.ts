/** PostgreSQL: span rows ↔ domain values, and the run rows a span is computed from (in one read). */
import {
  type ArtifactSpanFields,
  artifactSpanSource,
  type FlowRunSpanFields,
  flowRunSpanSource,
  type TaskRunSpanFields,
  taskRunSpanSource,
} from '../../domain/spans/sources.ts';
import type { ChildStateCounts, SpanSource, SpanType } from '../../domain/spans/span.ts';
import { OTEL_SOURCE, OTEL_SOURCE_WHERE, otelSource, RUN_ENRICHMENT, runEnrichment } from '../shared/otel-columns.ts';
import type { SpanColumns } from '../shared/span-columns.ts';
import type { Queryable, Row } from './db.ts';
import { insertRows, updateRows } from './recordset.ts';

const SPAN_JSON = new Set(['tags']);

export interface NewSpan {
  id: string;
  cols: SpanColumns;
  counts: { child_count: number; child_state_counts: ChildStateCounts };
}

/** Inserts spans in one statement (version 1). */
export async function insertSpans(c: Queryable, ws: number, spans: NewSpan[], published: number): Promise<void> {
  if (spans.length === 0) return;
  await insertRows(
    c,
    'spans',
    spans.map((s) => ({
      ws,
      span_id: s.id,
      ...s.cols,
      version: 1,
      published,
      child_count: s.counts.child_count,
      child_state_counts: JSON.stringify(s.counts.child_state_counts),
    })),
    '',
    { json: SPAN_JSON },
  );
}

/** Rewrites spans' fields in one statement. Child counts are the children's business: left be. */
export async function updateSpans(
  c: Queryable,
  ws: number,
  spans: { id: string; cols: SpanColumns }[],
  published: number,
): Promise<void> {
  if (spans.length === 0) return;
  await updateRows(
    c,
    'spans',
    spans.map((s) => ({ ws, span_id: s.id, ...s.cols, published })),
    ['ws', 'span_id'],
    { json: SPAN_JSON, set: 'version = t.version + 1' },
  );
}

/** What a run table contributes, with the id of the run its span hangs under as `parent`. */
const SOURCES: Record<SpanType, string> = {
  'flow-run': `SELECT id, name, parent_task_run_id, parent_task_run_id AS parent, start_time, end_time, total_run_time, state_type,
    state_name, state_timestamp, tags, labels, parameters, run_count, ${RUN_ENRICHMENT('r')} FROM flow_runs r
    WHERE ws = $1 AND id = ANY($2::text[])`,
  'task-run': `SELECT id, name, flow_run_id, flow_run_id AS parent, start_time, end_time, total_run_time, state_type, state_name,
    state_timestamp, tags, labels, task_inputs, run_count, flow_run_run_count, ${RUN_ENRICHMENT('r')} FROM task_runs r
    WHERE ws = $1 AND id = ANY($2::text[])`,
  artifact: `SELECT id, created, key, type, description, flow_run_id, task_run_id, COALESCE(task_run_id, flow_run_id) AS parent
    FROM artifacts WHERE ws = $1 AND id = ANY($2::text[])`,
  otel: `${OTEL_SOURCE} WHERE o.ws = $1 AND o.span_id = ANY($2::text[]) AND ${OTEL_SOURCE_WHERE}`,
};

const SPAN_COLUMNS = `span_id, trace_id, parent_span_id, path, depth, span_type, name, start_time, end_time, sort_start,
  total_run_time, state_type, state_name, state_timestamp, tags, attributes, search, version, child_count`;

export type ChildGroup = { span_type: string; state_name: string | null; n: number };

/**
 * In one round trip, for runs (or artifacts) `ids` of one type: each row as its span source
 * (missing when the row is gone), the spans as stored with their parents' (by span id), and each
 * span's children grouped by type and state name (what a span that is new starts its counts from).
 */
export async function readForUpsert(
  c: Queryable,
  ws: number,
  type: SpanType,
  ids: string[],
): Promise<{ sources: Map<string, SpanSource>; spans: Map<string, Row>; children: Map<string, ChildGroup[]> }> {
  const r = await c.query(
    `WITH src AS (${SOURCES[type]})
     SELECT (SELECT COALESCE(json_agg(row_to_json(src)), '[]'::json) FROM src) AS src,
       (SELECT COALESCE(json_agg(row_to_json(x)), '[]'::json) FROM (
          SELECT ${SPAN_COLUMNS} FROM spans WHERE ws = $1 AND (span_id = ANY($2::text[]) OR span_id IN (SELECT parent FROM src))
        ) x) AS spans,
       (SELECT COALESCE(json_agg(row_to_json(g)), '[]'::json) FROM (
          SELECT parent_span_id, span_type, state_name, count(*) AS n FROM spans WHERE ws = $1 AND parent_span_id = ANY($2::text[])
          GROUP BY parent_span_id, span_type, state_name
        ) g) AS children`,
    [ws, ids],
  );
  const row = r.rows[0] as { src: Row[]; spans: Row[]; children: (ChildGroup & { parent_span_id: string })[] };
  const sources = new Map<string, SpanSource>();
  for (const src of row.src) {
    const source =
      type === 'flow-run'
        ? flowRunSpanSource(src as unknown as FlowRunSpanFields, runEnrichment(src))
        : type === 'task-run'
          ? taskRunSpanSource(src as unknown as TaskRunSpanFields, runEnrichment(src))
          : type === 'otel'
            ? otelSource(src)
            : artifactSpanSource(src as unknown as ArtifactSpanFields);
    sources.set(source.span_id, source);
  }
  const children = new Map<string, ChildGroup[]>();
  for (const { parent_span_id, ...g } of row.children) {
    const list = children.get(parent_span_id);
    if (list) list.push(g);
    else children.set(parent_span_id, [g]);
  }
  return { sources, spans: new Map(row.spans.map((s) => [s.span_id as string, s])), children };
}
