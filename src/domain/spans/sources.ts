/**
 * What each kind of run contributes to its span: name, times, state, tags, attributes and the run
 * it hangs under. Attributes follow the names Prefect's own OpenTelemetry instrumentation uses
 * (`prefect.run.*`, run labels), so a span reads the same here as in an OTel backend.
 */

import { traceparentSpan } from '../otlp/spans.ts';
import type { ArtifactRow } from '../runs/artifacts.ts';
import type { FlowRunRow } from '../runs/flow-runs.ts';
import type { TaskRunInput, TaskRunRow } from '../runs/task-runs.ts';
import type { SpanAttributes, SpanSource } from './span.ts';

/** The fields every run span takes from its run, flow run or task run. */
type RunSpanKey =
  | 'id'
  | 'name'
  | 'start_time'
  | 'end_time'
  | 'total_run_time'
  | 'state_type'
  | 'state_name'
  | 'state_timestamp'
  | 'tags'
  | 'labels'
  | 'run_count';

export type FlowRunSpanFields = Pick<FlowRunRow, RunSpanKey | 'parent_task_run_id' | 'parameters'>;

export type TaskRunSpanFields = Pick<TaskRunRow, RunSpanKey | 'flow_run_id' | 'task_inputs' | 'flow_run_run_count'>;

export type ArtifactSpanFields = Pick<
  ArtifactRow,
  'id' | 'created' | 'key' | 'type' | 'description' | 'flow_run_id' | 'task_run_id'
>;

/** Python's name for the type of a JSON value, as Prefect records parameter types. */
export function pythonTypeName(v: unknown): string {
  if (v === null || v === undefined) return 'NoneType';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'string') return 'str';
  if (Array.isArray(v)) return 'list';
  return 'dict';
}

/** Labels become attributes, except Prefect's internal ones (`__OTEL_TRACEPARENT`, …). */
function labelAttributes(labels: Record<string, unknown>, out: SpanAttributes): void {
  for (const [k, v] of Object.entries(labels)) {
    if (k.startsWith('__')) continue;
    if (typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) out[k] = v;
  }
}

/** The types a task input was fed with: a constant's type, else the kind of upstream reference. */
function inputTypes(inputs: TaskRunInput[]): string {
  const kinds = new Set<string>();
  for (const i of inputs) kinds.add(i.input_type === 'constant' ? i.type : i.input_type);
  return kinds.size ? [...kinds].join('|') : 'unknown';
}

/** What an OTel span with `prefect.run.id` adds to the run's span (`otlp/spans.ts`). */
export type RunEnrichment = SpanAttributes | null | undefined;

/**
 * The span of a flow or task run: its timing and state as the run has them; an OTel span of the
 * run adds its attributes (Sightline's own keys win).
 */
function runSpanSource(
  r: FlowRunSpanFields | TaskRunSpanFields,
  span_type: 'flow-run' | 'task-run',
  parent_id: string | null,
  own: SpanAttributes,
  otel: RunEnrichment,
): SpanSource {
  const attributes = otel ? { ...otel, ...own } : own;
  const otelSpan = traceparentSpan(r.labels.__OTEL_TRACEPARENT);
  return {
    ...(otelSpan ? { otel_span_id: otelSpan } : {}),
    span_id: r.id,
    span_type,
    parent_id,
    name: r.name,
    start_time: r.start_time,
    end_time: r.end_time,
    total_run_time: r.total_run_time,
    state_type: r.state_type,
    state_name: r.state_name,
    state_timestamp: r.state_timestamp,
    tags: r.tags,
    attributes,
  };
}

export function flowRunSpanSource(r: FlowRunSpanFields, otel?: RunEnrichment): SpanSource {
  const attributes: SpanAttributes = {};
  labelAttributes(r.labels, attributes);
  attributes['prefect.run.type'] = 'flow';
  attributes['prefect.run.run_count'] = r.run_count;
  for (const [name, value] of Object.entries(r.parameters))
    attributes[`prefect.run.parameter.${name}`] = pythonTypeName(value);
  return runSpanSource(r, 'flow-run', r.parent_task_run_id, attributes, otel);
}

export function taskRunSpanSource(r: TaskRunSpanFields, otel?: RunEnrichment): SpanSource {
  const attributes: SpanAttributes = {};
  labelAttributes(r.labels, attributes);
  attributes['prefect.run.type'] = 'task';
  attributes['prefect.run.run_count'] = r.run_count;
  attributes['prefect.run.flow_run_run_count'] = r.flow_run_run_count;
  for (const [name, inputs] of Object.entries(r.task_inputs))
    attributes[`prefect.run.parameter.${name}`] = inputTypes(inputs);
  return runSpanSource(r, 'task-run', r.flow_run_id, attributes, otel);
}

/** An artifact is an instant: it starts and ends when it was created, and has no state. */
export function artifactSpanSource(a: ArtifactSpanFields): SpanSource {
  const attributes: SpanAttributes = {};
  if (a.key !== null) attributes['prefect.artifact.key'] = a.key;
  if (a.type !== null) attributes['prefect.artifact.type'] = a.type;
  if (a.description !== null) attributes['prefect.artifact.description'] = a.description;
  return {
    span_id: a.id,
    span_type: 'artifact',
    parent_id: a.task_run_id ?? a.flow_run_id,
    name: a.key ?? a.type ?? 'artifact',
    start_time: a.created,
    end_time: a.created,
    total_run_time: null,
    state_type: null,
    state_name: null,
    state_timestamp: null,
    tags: [],
    attributes,
  };
}

/**
 * The text the `query` parameter searches: the span's name, tags and attribute values, lower-cased
 * (case-insensitive substring matching; fields are separated so a phrase never spans two).
 */
export function spanSearchText(s: Pick<SpanSource, 'name' | 'tags' | 'attributes'>): string {
  return [s.name, ...s.tags, ...Object.values(s.attributes).map(String)].join('\n').toLowerCase();
}
