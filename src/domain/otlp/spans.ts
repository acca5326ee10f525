/**
 * OpenTelemetry spans in Sightline's span model (ADR 40): an OTel span is stored as it arrived
 * (`OtelSpanRow`) and projected as a span of type `otel` — its 64-bit id written as a UUID
 * (`00000000-0000-0000-` then the 16 hex digits as 4-12), its trace the 128-bit trace id as a UUID,
 * unless the span hangs under a run (step 3, `parent`), whose trace it joins.
 */
import type { StateType } from '../runs/states.ts';
import type { AttributeValue, SpanAttributes, SpanSource } from '../spans/span.ts';
import type { Micros } from '../time.ts';
import type { OtlpAttributes, OtlpSpan, OtlpValue } from './model.ts';

/** The UUID form of a 16-hex-digit OTel span id. */
export function otelSpanUuid(hex: string): string {
  return `00000000-0000-0000-${hex.slice(0, 4)}-${hex.slice(4)}`;
}

/** The UUID form of a 32-hex-digit OTel trace id. */
export function otelTraceUuid(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** An OTel span as stored (the source of its `otel` span). */
export interface OtelSpanRow {
  /** UUID form. */
  span_id: string;
  /** UUID form of the trace id. */
  otel_trace_id: string;
  /** UUID form of the OTel parent's span id; null for an OTel root. */
  otel_parent_id: string | null;
  name: string;
  start_time: Micros;
  end_time: Micros | null;
  state_type: StateType;
  state_name: string;
  /** The attributes the span renders: its own flattened, `otel.*`, and the resource's under `resource.`. */
  attributes: SpanAttributes;
}

/** Strings without NUL (PostgreSQL text cannot hold it). */
function clean(s: string): string {
  return s.includes('\u0000') ? s.replaceAll('\u0000', '') : s;
}

/**
 * Flattens OTLP attributes into span attributes: nested key/value lists become dotted keys, arrays
 * their JSON text, nulls are left out.
 */
export function flattenAttributes(attrs: OtlpAttributes, out: SpanAttributes, prefix = ''): SpanAttributes {
  for (const [k, v] of Object.entries(attrs)) flattenValue(clean(prefix + k), v, out);
  return out;
}

function flattenValue(key: string, v: OtlpValue, out: SpanAttributes): void {
  if (v === null) return;
  if (Array.isArray(v)) out[key] = clean(JSON.stringify(v));
  else if (typeof v === 'object') flattenAttributes(v, out, `${key}.`);
  else out[key] = (typeof v === 'string' ? clean(v) : v) as AttributeValue;
}

const KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];

export const nanosToMicros = (n: bigint): Micros => Number(n / 1000n);

/** The stored form of a valid span (`spanProblem` found nothing). */
export function otelSpanRow(s: OtlpSpan): OtelSpanRow {
  const attributes: SpanAttributes = {};
  flattenAttributes(s.attributes, attributes);
  attributes['otel.kind'] = KINDS[s.kind] ?? String(s.kind);
  attributes['otel.scope'] = clean(s.scope.name);
  if (s.status.message) attributes['otel.status_message'] = clean(s.status.message);
  flattenAttributes(s.resource, attributes, 'resource.');
  const failed = s.status.code === 2;
  return {
    span_id: otelSpanUuid(s.spanId),
    otel_trace_id: otelTraceUuid(s.traceId),
    otel_parent_id: s.parentSpanId ? otelSpanUuid(s.parentSpanId) : null,
    name: clean(s.name),
    start_time: nanosToMicros(s.startNanos),
    end_time: s.endNanos ? nanosToMicros(s.endNanos) : null,
    state_type: failed ? 'FAILED' : 'COMPLETED',
    state_name: failed ? 'Error' : 'Completed',
    attributes,
  };
}

/**
 * The source of an `otel` span: `parent` is the span it hangs under (its OTel parent's UUID form,
 * or a run's id once the parent is known to be that run's OTel span).
 */
export function otelSpanSource(r: OtelSpanRow, parent: string | null): SpanSource {
  return {
    span_id: r.span_id,
    span_type: 'otel',
    parent_id: parent,
    root_trace_id: r.otel_trace_id,
    name: r.name,
    start_time: r.start_time,
    end_time: r.end_time,
    total_run_time: r.end_time === null ? null : Math.max(0, r.end_time - r.start_time),
    state_type: r.state_type,
    state_name: r.state_name,
    state_timestamp: r.end_time ?? r.start_time,
    tags: [],
    attributes: r.attributes,
  };
}

/** The state an OTel span was observed in (the workspace's observed states). */
export function otelObserved(r: OtelSpanRow): { type: StateType; name: string; timestamp: Micros } {
  return { type: r.state_type, name: r.state_name, timestamp: r.end_time ?? r.start_time };
}
