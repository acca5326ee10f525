/**
 * Spans (Prefect Cloud's `SpanResponse`): every flow run, task run and artifact is a span, and a
 * trace is a root flow run with everything beneath it. The store keeps spans as a projection that
 * the run writes maintain (`store/contract.ts` → `SpanStore`); this module holds what a span is and
 * how it renders.
 */

import { array, bool, int, literal, named, num, object, oneOf, orNull, record, str } from '../../lib/schema.ts';
import { uuid } from '../ids.ts';
import { type StateType, stateTypeSchema } from '../runs/states.ts';
import { datetime, formatMicros, formatNullable, type Micros } from '../time.ts';

export const SPAN_TYPES = ['flow-run', 'task-run', 'artifact', 'otel'] as const;
export type SpanType = (typeof SPAN_TYPES)[number];
export const spanTypeSchema = literal(SPAN_TYPES);

export type AttributeValue = string | number | boolean;
export type SpanAttributes = Record<string, AttributeValue>;

/** `{child span_type: {state_name: count}}` over a span's direct children that have a state. */
export type ChildStateCounts = Record<string, Record<string, number>>;

/** What a run or an artifact contributes to its span; the placement in the trace comes separately. */
export interface SpanSource {
  span_id: string;
  span_type: SpanType;
  /**
   * The run this span hangs under: a task run's flow run, a subflow run's tracking task run
   * (`parent_task_run_id`), an artifact's task run or else its flow run. Null: a root.
   */
  parent_id: string | null;
  /**
   * The trace the span is in when no ancestor is known (an OTel span's own trace id); absent: the
   * topmost id known stands in as the trace (runs: a root's own id, else the missing parent's).
   */
  root_trace_id?: string;
  /** A run's OTel span id (UUID form), from its `__OTEL_TRACEPARENT` label: OTel spans under it hang under the run. */
  otel_span_id?: string;
  name: string;
  start_time: Micros | null;
  end_time: Micros | null;
  /** Microseconds accumulated in RUNNING states; null for spans that never run (artifacts). */
  total_run_time: Micros | null;
  state_type: StateType | null;
  state_name: string | null;
  /** When the current state was entered (a RUNNING span's running time grows from there). */
  state_timestamp: Micros | null;
  tags: string[];
  attributes: SpanAttributes;
}

/** Where a span sits: its trace, its (stored) parent link and its ancestors from the root. */
export interface SpanPlacement {
  trace_id: string;
  /** Null for a root, and for a span whose parent link would close a cycle. */
  parent_span_id: string | null;
  /** Ancestor span ids from the root down to the parent (the span itself excluded). */
  path: string[];
  depth: number;
}

/** A stored span. */
export interface SpanRow extends Omit<SpanSource, 'parent_id' | 'root_trace_id' | 'otel_span_id'>, SpanPlacement {
  /** +1 on every change of anything the span renders. */
  version: number;
  /** When the span last changed (server clock). */
  published: Micros;
  child_count: number;
  child_state_counts: ChildStateCounts;
}

/** What a tree of a whole trace needs of each span: its place, name, state and times. */
export type SpanOutline = Pick<
  SpanRow,
  | 'span_id'
  | 'parent_span_id'
  | 'depth'
  | 'span_type'
  | 'name'
  | 'state_type'
  | 'state_name'
  | 'start_time'
  | 'end_time'
>;

/** A span's position in the span order `(start_time nulls last, span_id)`. */
export interface SpanPosition {
  /** `start_time`, or `NULL_START` when the span has not started. */
  start: number;
  id: string;
}

/** Sorts after every real start time, so spans without one come last (ascending). */
export const NULL_START = Number.MAX_SAFE_INTEGER;

export function sortStart(startTime: Micros | null): number {
  return startTime ?? NULL_START;
}

export function positionOf(s: Pick<SpanRow, 'start_time' | 'span_id'>): SpanPosition {
  return { start: sortStart(s.start_time), id: s.span_id };
}

/** Negative, zero or positive as `a` comes before, with or after `b` in ascending span order. */
export function comparePositions(a: SpanPosition, b: SpanPosition): number {
  if (a.start !== b.start) return a.start < b.start ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Python's `str(float)` for seconds: always a decimal point (`3.0`, `12.5`). */
export function pythonFloat(seconds: number): string {
  const s = String(seconds);
  return Number.isInteger(seconds) && !s.includes('e') ? `${s}.0` : s;
}

/**
 * `running_time`: seconds in RUNNING states as a float string. A span that is RUNNING right now
 * also counts the time since it entered that state (Prefect's `estimated_run_time`).
 */
export function runningTime(
  s: Pick<SpanRow, 'total_run_time' | 'state_type' | 'state_timestamp'>,
  now: Micros,
): string | null {
  if (s.total_run_time === null) return null;
  let micros = s.total_run_time;
  if (s.state_type === 'RUNNING' && s.state_timestamp !== null) micros += Math.max(0, now - s.state_timestamp);
  return pythonFloat(micros / 1_000_000);
}

/** `SpanResponse`, as `renderSpan` writes it. */
export const spanSchema = named(
  'Span',
  object({
    span_id: uuid(),
    trace_id: uuid(),
    parent_span_id: orNull(uuid()),
    path: array(uuid()),
    start_time: orNull(datetime()),
    end_time: orNull(datetime()),
    running_time: orNull(str().describe('Seconds in RUNNING states, a decimal number in a string')),
    published: datetime(),
    name: str(),
    span_type: spanTypeSchema,
    state_type: orNull(stateTypeSchema),
    state_name: orNull(str()),
    version: int({ min: 0 }),
    attributes: record(oneOf<AttributeValue>(str(), num(), bool())),
    tags: array(str()),
    has_children: bool(),
    child_count: int({ min: 0 }),
    child_state_counts: record(record(int({ min: 0 }))),
  }),
);

export const spanIdentifierSchema = named('SpanIdentifier', object({ trace_id: uuid(), span_id: uuid() }));

/** `SpanResponse`, keys in the order of the Cloud schema. */
export function renderSpan(s: SpanRow, now: Micros): Record<string, unknown> {
  return {
    span_id: s.span_id,
    trace_id: s.trace_id,
    parent_span_id: s.parent_span_id,
    path: s.path,
    start_time: formatNullable(s.start_time),
    end_time: formatNullable(s.end_time),
    running_time: runningTime(s, now),
    published: formatMicros(s.published),
    name: s.name,
    span_type: s.span_type,
    state_type: s.state_type,
    state_name: s.state_name,
    version: s.version,
    attributes: s.attributes,
    tags: s.tags,
    has_children: s.child_count > 0,
    child_count: s.child_count,
    child_state_counts: s.child_state_counts,
  };
}

/** `SpanIdentifierResponse`. */
export function renderSpanIdentifier(s: Pick<SpanRow, 'trace_id' | 'span_id'>): Record<string, unknown> {
  return { trace_id: s.trace_id, span_id: s.span_id };
}
