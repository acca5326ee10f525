/** SQLite: span rows ↔ domain values, and the run rows a span is computed from. */
import type { TaskRunInput } from '../../domain/runs/task-runs.ts';
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
import { json } from '../shared/run-columns.ts';
import { FIELD_COLUMNS, type SpanColumns } from '../shared/span-columns.ts';
import type { Db } from './db.ts';
import type { Row } from './run-rows.ts';

const INSERT = `INSERT INTO spans (ws, span_id, ${FIELD_COLUMNS.join(', ')}, version, published, child_count, child_state_counts)
  VALUES (${['?', '?', ...FIELD_COLUMNS.map(() => '?'), '?', '?', '?', '?'].join(', ')})`;
// Child counts are the children's business (`adjustParent`): an update of the span leaves them be.
const UPDATE = `UPDATE spans SET ${FIELD_COLUMNS.map((c) => `${c} = ?`).join(', ')}, version = version + 1, published = ?
  WHERE ws = ? AND span_id = ?`;

export function insertSpan(
  db: Db,
  ws: number,
  id: string,
  c: SpanColumns,
  counts: { child_count: number; child_state_counts: ChildStateCounts },
  published: number,
): void {
  db.stmt(INSERT).run(
    ws,
    id,
    ...FIELD_COLUMNS.map((k) => c[k]),
    1,
    published,
    counts.child_count,
    json(counts.child_state_counts),
  );
}

export function updateSpan(db: Db, ws: number, id: string, c: SpanColumns, published: number): void {
  db.stmt(UPDATE).run(...FIELD_COLUMNS.map((k) => c[k]), published, ws, id);
}

function parse<T>(v: unknown): T {
  return JSON.parse(v as string) as T;
}

/** The source of a run or artifact span, read from its row; undefined when the row is gone. */
export function readSpanSource(db: Db, ws: number, type: SpanType, id: string): SpanSource | undefined {
  if (type === 'flow-run') {
    const r = db
      .stmt(
        `SELECT id, name, parent_task_run_id, start_time, end_time, total_run_time, state_type, state_name, state_timestamp,
          tags, labels, parameters, run_count, ${RUN_ENRICHMENT('r')} FROM flow_runs r WHERE ws = ? AND id = ?`,
      )
      .get(ws, id) as Row | undefined;
    if (!r) return undefined;
    return flowRunSpanSource(
      {
        ...(r as unknown as FlowRunSpanFields),
        tags: parse(r.tags),
        labels: parse(r.labels),
        parameters: parse(r.parameters),
      },
      runEnrichment(r),
    );
  }
  if (type === 'task-run') {
    const r = db
      .stmt(
        `SELECT id, name, flow_run_id, start_time, end_time, total_run_time, state_type, state_name, state_timestamp,
          tags, labels, task_inputs, run_count, flow_run_run_count, ${RUN_ENRICHMENT('r')} FROM task_runs r WHERE ws = ? AND id = ?`,
      )
      .get(ws, id) as Row | undefined;
    if (!r) return undefined;
    return taskRunSpanSource(
      {
        ...(r as unknown as TaskRunSpanFields),
        tags: parse(r.tags),
        labels: parse(r.labels),
        task_inputs: parse<Record<string, TaskRunInput[]>>(r.task_inputs),
      },
      runEnrichment(r),
    );
  }
  if (type === 'otel') {
    const r = db.stmt(`${OTEL_SOURCE} WHERE o.ws = ? AND o.span_id = ? AND ${OTEL_SOURCE_WHERE}`).get(ws, id) as
      | Row
      | undefined;
    return r ? otelSource(r) : undefined;
  }
  const r = db
    .stmt('SELECT id, created, key, type, description, flow_run_id, task_run_id FROM artifacts WHERE ws = ? AND id = ?')
    .get(ws, id) as Row | undefined;
  return r ? artifactSpanSource({ ...(r as unknown as ArtifactSpanFields) }) : undefined;
}
