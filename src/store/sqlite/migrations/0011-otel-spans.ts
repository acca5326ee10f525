/**
 * OpenTelemetry spans as received over OTLP (issue 23): the source rows of the `otel` spans, keyed
 * by the UUID form of their 64-bit span id (ADR 40); `attributes` and `events` are JSON text. A span
 * carrying `prefect.run.id` (`run_id`) enriches that run's span instead of being one. `otel_links`
 * says which run an OTel span id stands for (from such spans and from runs' `__OTEL_TRACEPARENT`
 * labels): OTel spans under it hang under the run. `otel_log_ids` holds the content-hash ids of the
 * log records stored through OTLP, so that an exporter's retry is recognised.
 */
import type { Migration } from './index.ts';

export const otelSpans: Migration = {
  version: 11,
  name: 'otel spans: OpenTelemetry spans received over OTLP, their links to runs, and OTLP log ids',
  sql: `
      CREATE TABLE otel_spans (
        ws INTEGER NOT NULL,
        span_id TEXT NOT NULL,
        otel_trace_id TEXT NOT NULL,
        otel_parent_id TEXT,
        name TEXT NOT NULL,
        start_time INTEGER NOT NULL,
        end_time INTEGER,
        state_type TEXT NOT NULL,
        state_name TEXT NOT NULL,
        attributes TEXT NOT NULL,
        events TEXT NOT NULL,
        run_id TEXT,
        received INTEGER NOT NULL,
        PRIMARY KEY (ws, span_id)
      );
      CREATE INDEX otel_spans_parent ON otel_spans (ws, otel_parent_id) WHERE otel_parent_id IS NOT NULL;
      CREATE INDEX otel_spans_run ON otel_spans (ws, run_id, start_time) WHERE run_id IS NOT NULL;
      CREATE TABLE otel_log_ids (
        ws INTEGER NOT NULL,
        id TEXT NOT NULL,
        stored INTEGER NOT NULL,
        PRIMARY KEY (ws, id)
      );
      CREATE TABLE otel_links (
        ws INTEGER NOT NULL,
        otel_span_id TEXT NOT NULL,
        run_id TEXT NOT NULL,
        PRIMARY KEY (ws, otel_span_id)
      );
  `,
};
