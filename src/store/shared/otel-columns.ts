/**
 * The `otel_spans` columns an `otel` span is computed from, and the OTel additions to run spans,
 * read the same way on every engine.
 */
import { enrichmentAttributes, type OtelSpanRow, otelSpanSource } from '../../domain/otlp/spans.ts';
import type { RunEnrichment } from '../../domain/spans/sources.ts';
import type { SpanSource } from '../../domain/spans/span.ts';

/**
 * An `otel` span's source (add `WHERE o.ws = … AND o.span_id …`). `parent` is the span it hangs
 * under: the run its OTel parent stands for (`otel_links`), else the OTel parent itself. Spans
 * that enrich a run (`run_id`) are not spans of their own.
 */
export const OTEL_SOURCE = `SELECT o.span_id, o.otel_trace_id, o.otel_parent_id, COALESCE(l.run_id, o.otel_parent_id) AS parent,
  o.name, o.start_time, o.end_time, o.state_type, o.state_name, o.attributes, o.events
  FROM otel_spans o LEFT JOIN otel_links l ON l.ws = o.ws AND l.otel_span_id = o.otel_parent_id`;
export const OTEL_SOURCE_WHERE = 'o.run_id IS NULL';

export function otelSource(r: Record<string, unknown>): SpanSource {
  const row = {
    ...(r as unknown as OtelSpanRow),
    attributes: JSON.parse(r.attributes as string),
    events: JSON.parse((r.events as string | null) ?? '[]'),
  };
  return otelSpanSource(row, (r.parent as string | null) ?? null);
}

/**
 * Select-list items of a run source (`runs` being the run table's alias): the newest OTel span
 * that names the run in `prefect.run.id`, as JSON text.
 */
export const RUN_ENRICHMENT = (runs: string) =>
  `(SELECT e.attributes FROM otel_spans e WHERE e.ws = ${runs}.ws AND e.run_id = ${runs}.id ORDER BY e.start_time DESC LIMIT 1) AS otel_attributes,
   (SELECT e.events FROM otel_spans e WHERE e.ws = ${runs}.ws AND e.run_id = ${runs}.id ORDER BY e.start_time DESC LIMIT 1) AS otel_events`;

export function runEnrichment(r: Record<string, unknown>): RunEnrichment {
  if (typeof r.otel_attributes !== 'string') return null;
  return enrichmentAttributes({
    attributes: JSON.parse(r.otel_attributes),
    events: JSON.parse((r.otel_events as string | null) ?? '[]'),
  });
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
    events: JSON.stringify(r.events),
    run_id: r.run_id,
    received,
  };
}
