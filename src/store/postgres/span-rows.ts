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
import { FIELD_COLUMNS, type SpanColumns } from '../shared/span-columns.ts';
import type { Queryable, Row } from './db.ts';

const placeholders = (from: number, n: number) => Array.from({ length: n }, (_, i) => `$${from + i}`);
const casts: Partial<Record<(typeof FIELD_COLUMNS)[number], string>> = { tags: '::jsonb' };
const fieldParams = (from: number) => FIELD_COLUMNS.map((k, i) => `$${from + i}${casts[k] ?? ''}`);

const INSERT = `INSERT INTO spans (ws, span_id, ${FIELD_COLUMNS.join(', ')}, version, published, child_count, child_state_counts)
  VALUES ($1, $2, ${fieldParams(3).join(', ')}, ${placeholders(3 + FIELD_COLUMNS.length, 4).join(', ')})`;
// Child counts are the children's business: an update of the span leaves them be.
const UPDATE = `UPDATE spans SET ${FIELD_COLUMNS.map((c, i) => `${c} = ${fieldParams(1)[i]}`).join(', ')},
  version = version + 1, published = $${FIELD_COLUMNS.length + 1}
  WHERE ws = $${FIELD_COLUMNS.length + 2} AND span_id = $${FIELD_COLUMNS.length + 3}`;

export async function insertSpan(
  c: Queryable,
  ws: number,
  id: string,
  cols: SpanColumns,
  counts: { child_count: number; child_state_counts: ChildStateCounts },
  published: number,
): Promise<void> {
  await c.query(INSERT, [
    ws,
    id,
    ...FIELD_COLUMNS.map((k) => cols[k]),
    1,
    published,
    counts.child_count,
    JSON.stringify(counts.child_state_counts),
  ]);
}

export async function updateSpan(
  c: Queryable,
  ws: number,
  id: string,
  cols: SpanColumns,
  published: number,
): Promise<void> {
  await c.query(UPDATE, [...FIELD_COLUMNS.map((k) => cols[k]), published, ws, id]);
}

/** What a run table contributes, with the id of the run its span hangs under as `parent`. */
const SOURCES: Record<SpanType, string> = {
  'flow-run': `SELECT id, name, parent_task_run_id, parent_task_run_id AS parent, start_time, end_time, total_run_time, state_type,
    state_name, state_timestamp, tags, labels, parameters, run_count FROM flow_runs WHERE ws = $1 AND id = $2`,
  'task-run': `SELECT id, name, flow_run_id, flow_run_id AS parent, start_time, end_time, total_run_time, state_type, state_name,
    state_timestamp, tags, labels, task_inputs, run_count, flow_run_run_count FROM task_runs WHERE ws = $1 AND id = $2`,
  artifact: `SELECT id, created, key, type, description, flow_run_id, task_run_id, COALESCE(task_run_id, flow_run_id) AS parent
    FROM artifacts WHERE ws = $1 AND id = $2`,
};

const SPAN_COLUMNS = `span_id, trace_id, parent_span_id, path, depth, span_type, name, start_time, end_time, sort_start,
  total_run_time, state_type, state_name, state_timestamp, tags, attributes, search, version, child_count`;

/**
 * In one round trip: the run (or artifact) row as its span source (undefined when the row is
 * gone), the span as stored, the stored placement of the span's parent, and the span's children
 * grouped by type and state name (what a span that is new starts its counts from).
 */
export async function readForUpsert(
  c: Queryable,
  ws: number,
  type: SpanType,
  id: string,
): Promise<{
  source: SpanSource | undefined;
  spans: Row[];
  children: { span_type: string; state_name: string | null; n: number }[];
}> {
  const r = await c.query(
    `WITH src AS (${SOURCES[type]})
     SELECT (SELECT row_to_json(src) FROM src) AS src,
       (SELECT COALESCE(json_agg(row_to_json(x)), '[]'::json) FROM (
          SELECT ${SPAN_COLUMNS} FROM spans WHERE ws = $1 AND (span_id = $2 OR span_id = (SELECT parent FROM src))
        ) x) AS spans,
       (SELECT COALESCE(json_agg(row_to_json(g)), '[]'::json) FROM (
          SELECT span_type, state_name, count(*) AS n FROM spans WHERE ws = $1 AND parent_span_id = $2 GROUP BY span_type, state_name
        ) g) AS children`,
    [ws, id],
  );
  const row = r.rows[0] as {
    src: Row | null;
    spans: Row[];
    children: { span_type: string; state_name: string | null; n: number }[];
  };
  const src = row.src;
  let source: SpanSource | undefined;
  if (src) {
    if (type === 'flow-run') source = flowRunSpanSource(src as unknown as FlowRunSpanFields);
    else if (type === 'task-run') source = taskRunSpanSource(src as unknown as TaskRunSpanFields);
    else source = artifactSpanSource(src as unknown as ArtifactSpanFields);
  }
  return { source, spans: row.spans, children: row.children };
}
