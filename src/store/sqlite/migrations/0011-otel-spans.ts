/**
 * OpenTelemetry spans as received over OTLP (issue 23): the source rows of the `otel` spans, keyed
 * by the UUID form of their 64-bit span id (ADR 40). `attributes` is JSON text.
 */
import type { Migration } from './index.ts';

export const otelSpans: Migration = {
  version: 11,
  name: 'otel spans: OpenTelemetry spans received over OTLP',
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
        received INTEGER NOT NULL,
        PRIMARY KEY (ws, span_id)
      );
      CREATE INDEX otel_spans_parent ON otel_spans (ws, otel_parent_id) WHERE otel_parent_id IS NOT NULL;
  `,
};
