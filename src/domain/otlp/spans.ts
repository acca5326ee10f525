/**
 * OpenTelemetry spans in Sightline's span model (ADR 40): an OTel span is stored as it arrived
 * (`OtelSpanRow`) and projected as a span of type `otel` — its 64-bit id written as a UUID
 * (`00000000-0000-0000-` then the 16 hex digits as 4-12), its trace the 128-bit trace id as a UUID,
 * unless the span hangs under a run (step 3, `parent`), whose trace it joins.
 */
import type { StateType } from '../runs/states.ts';
import type { AttributeValue, SpanAttributes, SpanSource } from '../spans/span.ts';
import { formatMicros, type Micros } from '../time.ts';
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
  /** Its span events (at most `MAX_EVENTS`), as `otel.events` renders them. */
  events: OtelSpanEvent[];
  /** `prefect.run.id`: the run whose span this one enriches instead of being a span itself. */
  run_id: string | null;
}

export interface OtelSpanEvent {
  name: string;
  /** ISO time. */
  time: string;
  attributes: SpanAttributes;
}

/** Span events kept per span (OTel SDKs keep 128 by default). */
export const MAX_EVENTS = 128;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/** The UUID form of the span id in a W3C `traceparent` (a run's `__OTEL_TRACEPARENT` label), if valid. */
export function traceparentSpan(traceparent: unknown): string | undefined {
  if (typeof traceparent !== 'string') return undefined;
  const m = TRACEPARENT.exec(traceparent.trim().toLowerCase());
  return m && !/^0+$/.test(m[2]) ? otelSpanUuid(m[2]) : undefined;
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
  const runId = s.attributes['prefect.run.id'];
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
    events: s.events.slice(0, MAX_EVENTS).map((e) => ({
      name: clean(e.name),
      time: formatMicros(nanosToMicros(e.timeNanos)),
      attributes: flattenAttributes(e.attributes, {}),
    })),
    run_id: typeof runId === 'string' && UUID.test(runId.toLowerCase()) ? runId.toLowerCase() : null,
  };
}

/**
 * `rows` with every span after its OTel parent when both are in `rows` (otherwise in their order).
 * Exporters send a span when it ends, so children come first; placed in this order each span is
 * written once, under a parent already placed, instead of moving its descendants as each ancestor
 * arrives. A cycle (hostile input) is broken where it is entered.
 */
export function parentsFirst<T extends Pick<OtelSpanRow, 'span_id' | 'otel_parent_id'>>(rows: T[]): T[] {
  const byId = new Map(rows.map((r) => [r.span_id, r]));
  const out: T[] = [];
  const seen = new Set<string>();
  for (const r of rows) {
    // The not yet placed ancestors present in `rows`, nearest first, then placed farthest first.
    const chain: T[] = [];
    for (
      let a: T | undefined = r;
      a && !seen.has(a.span_id);
      a = a.otel_parent_id ? byId.get(a.otel_parent_id) : undefined
    ) {
      seen.add(a.span_id);
      chain.push(a);
    }
    for (let i = chain.length - 1; i >= 0; i--) out.push(chain[i]);
  }
  return out;
}

/**
 * What an OTel span with `prefect.run.id` adds to its run's span: its attributes (Sightline's own
 * keys win, so they are applied first and overwritten) and its events as `otel.events`.
 */
export function enrichmentAttributes(r: Pick<OtelSpanRow, 'attributes' | 'events'>): SpanAttributes {
  const out: SpanAttributes = { ...r.attributes };
  if (r.events.length) out['otel.events'] = JSON.stringify(r.events);
  return out;
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
    // Its events render as a run span's do (`otel.events`): exceptions recorded on user spans are
    // how OTel reports why something failed.
    attributes: enrichmentAttributes(r),
  };
}

/** An exception recorded on a span (OTel's `exception` event and its semantic attributes). */
export interface SpanException {
  time: string;
  type: string | null;
  message: string | null;
  stacktrace: string | null;
}

/** The exceptions among a span's `otel.events` (none when it has no OTel data). */
export function spanExceptions(attributes: SpanAttributes): SpanException[] {
  const raw = attributes['otel.events'];
  if (typeof raw !== 'string') return [];
  let events: OtelSpanEvent[];
  try {
    events = JSON.parse(raw);
  } catch {
    return [];
  }
  const text = (v: AttributeValue | undefined) => (v === undefined ? null : String(v));
  return events
    .filter((e) => e.name === 'exception')
    .map((e) => ({
      time: e.time,
      type: text(e.attributes['exception.type']),
      message: text(e.attributes['exception.message']),
      stacktrace: text(e.attributes['exception.stacktrace']),
    }));
}

/** The state an OTel span was observed in (the workspace's observed states). */
export function otelObserved(r: OtelSpanRow): { type: StateType; name: string; timestamp: Micros } {
  return { type: r.state_type, name: r.state_name, timestamp: r.end_time ?? r.start_time };
}
