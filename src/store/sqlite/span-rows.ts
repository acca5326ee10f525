/** SQLite: span rows ↔ domain values, and the run rows a span is computed from. */
import type { StateType } from '../../domain/runs/states.ts';
import type { TaskRunInput } from '../../domain/runs/task-runs.ts';
import {
  type ArtifactSpanFields,
  artifactSpanSource,
  type FlowRunSpanFields,
  flowRunSpanSource,
  spanSearchText,
  type TaskRunSpanFields,
  taskRunSpanSource,
} from '../../domain/spans/sources.ts';
import { type SpanRow, type SpanSource, type SpanType, sortStart } from '../../domain/spans/span.ts';
import type { Db } from './db.ts';
import { json, type Row } from './run-rows.ts';

export function toSpan(r: Row): SpanRow {
  return {
    span_id: r.span_id as string,
    trace_id: r.trace_id as string,
    parent_span_id: r.parent_span_id as string | null,
    path: JSON.parse(r.path as string),
    depth: r.depth as number,
    span_type: r.span_type as SpanType,
    name: r.name as string,
    start_time: r.start_time as number | null,
    end_time: r.end_time as number | null,
    total_run_time: r.total_run_time as number | null,
    state_type: r.state_type as StateType | null,
    state_name: r.state_name as string | null,
    state_timestamp: r.state_timestamp as number | null,
    tags: JSON.parse(r.tags as string),
    attributes: JSON.parse(r.attributes as string),
    version: r.version as number,
    published: r.published as number,
    child_count: r.child_count as number,
    child_state_counts: JSON.parse(r.child_state_counts as string),
  };
}

const COLUMNS = [
  'ws',
  'span_id',
  'trace_id',
  'parent_span_id',
  'path',
  'depth',
  'span_type',
  'name',
  'start_time',
  'end_time',
  'sort_start',
  'total_run_time',
  'state_type',
  'state_name',
  'state_timestamp',
  'tags',
  'attributes',
  'search',
  'version',
  'published',
  'child_count',
  'child_state_counts',
] as const;

const INSERT = `INSERT INTO spans (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`;
const UPDATE = `UPDATE spans SET ${COLUMNS.slice(2)
  .map((c) => `${c} = ?`)
  .join(', ')} WHERE ws = ? AND span_id = ?`;

function values(s: SpanRow): (string | number | null)[] {
  return [
    s.trace_id,
    s.parent_span_id,
    json(s.path),
    s.depth,
    s.span_type,
    s.name,
    s.start_time,
    s.end_time,
    sortStart(s.start_time),
    s.total_run_time,
    s.state_type,
    s.state_name,
    s.state_timestamp,
    json(s.tags),
    json(s.attributes),
    spanSearchText(s),
    s.version,
    s.published,
    s.child_count,
    json(s.child_state_counts),
  ];
}

export function insertSpan(db: Db, ws: number, s: SpanRow): void {
  db.stmt(INSERT).run(ws, s.span_id, ...values(s));
}

export function updateSpan(db: Db, ws: number, s: SpanRow): void {
  db.stmt(UPDATE).run(...values(s), ws, s.span_id);
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
          tags, labels, parameters, run_count FROM flow_runs WHERE ws = ? AND id = ?`,
      )
      .get(ws, id) as Row | undefined;
    if (!r) return undefined;
    return flowRunSpanSource({
      ...(r as unknown as FlowRunSpanFields),
      tags: parse(r.tags),
      labels: parse(r.labels),
      parameters: parse(r.parameters),
    });
  }
  if (type === 'task-run') {
    const r = db
      .stmt(
        `SELECT id, name, flow_run_id, start_time, end_time, total_run_time, state_type, state_name, state_timestamp,
          tags, labels, task_inputs, run_count, flow_run_run_count FROM task_runs WHERE ws = ? AND id = ?`,
      )
      .get(ws, id) as Row | undefined;
    if (!r) return undefined;
    return taskRunSpanSource({
      ...(r as unknown as TaskRunSpanFields),
      tags: parse(r.tags),
      labels: parse(r.labels),
      task_inputs: parse<Record<string, TaskRunInput[]>>(r.task_inputs),
    });
  }
  const r = db
    .stmt('SELECT id, created, key, type, description, flow_run_id, task_run_id FROM artifacts WHERE ws = ? AND id = ?')
    .get(ws, id) as Row | undefined;
  return r ? artifactSpanSource({ ...(r as unknown as ArtifactSpanFields) }) : undefined;
}
