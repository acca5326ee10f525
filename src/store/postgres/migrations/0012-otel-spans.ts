/**
 * OpenTelemetry spans as received over OTLP (issue 23): the source rows of the `otel` spans, keyed
 * by the UUID form of their 64-bit span id (ADR 40). `attributes` is JSON text.
 */
import type { Migration } from './index.ts';

export const otelSpans: Migration = {
  version: 12,
  name: 'otel spans: OpenTelemetry spans received over OTLP',
  sql: `
    CREATE TABLE otel_spans (
      ws integer NOT NULL,
      span_id text COLLATE "C" NOT NULL,
      otel_trace_id text COLLATE "C" NOT NULL,
      otel_parent_id text COLLATE "C",
      name text NOT NULL,
      start_time bigint NOT NULL,
      end_time bigint,
      state_type text NOT NULL,
      state_name text NOT NULL,
      attributes text NOT NULL,
      received bigint NOT NULL,
      PRIMARY KEY (ws, span_id)
    );
    CREATE INDEX otel_spans_parent ON otel_spans (ws, otel_parent_id) WHERE otel_parent_id IS NOT NULL;
  `,
};
