/** The `otel_spans` columns an `otel` span is computed from, read the same way on every engine. */
import { type OtelSpanRow, otelSpanSource } from '../../domain/otlp/spans.ts';
import type { SpanSource } from '../../domain/spans/span.ts';

/** The select list (`parent`: the span the OTel span hangs under). */
export const OTEL_SOURCE = `span_id, otel_trace_id, otel_parent_id, otel_parent_id AS parent, name, start_time, end_time,
  state_type, state_name, attributes`;

export function otelSource(r: Record<string, unknown>): SpanSource {
  const row = { ...(r as unknown as OtelSpanRow), attributes: JSON.parse(r.attributes as string) };
  return otelSpanSource(row, (r.parent as string | null) ?? null);
}

/** An `otel_spans` row's column values. */
export function otelColumns(r: OtelSpanRow, received: number) {
  return {
    span_id: r.span_id,
    otel_trace_id: r.otel_trace_id,
    otel_parent_id: r.otel_parent_id,
    name: r.name,
    start_time: r.start_time,
    end_time: r.end_time,
    state_type: r.state_type,
    state_name: r.state_name,
    attributes: JSON.stringify(r.attributes),
    received,
  };
}
