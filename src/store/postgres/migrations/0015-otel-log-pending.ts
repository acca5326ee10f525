/**
 * OTLP log records waiting for their span to join a run (issue 23, ADR 48): one row per stored log
 * (`seq`, with its `timestamp`, the log's partition key) whose span was not joined to a run at
 * ingest, until `link_until` (its arrival plus `--otlp-link-window`). `otel_links` gains an index
 * by run: a run that arrives after the OTel span naming it finds that span's waiting records.
 */
import type { Migration } from './index.ts';

export const otelLogPending: Migration = {
  version: 15,
  name: 'otel log pending: OTLP log records waiting for their span to join a run',
  sql: `
    CREATE TABLE otel_log_pending (
      ws integer NOT NULL,
      seq bigint NOT NULL,
      span_id text COLLATE "C" NOT NULL,
      "timestamp" bigint NOT NULL,
      link_until bigint NOT NULL,
      PRIMARY KEY (ws, seq)
    );
    CREATE INDEX otel_log_pending_span ON otel_log_pending (ws, span_id);
    CREATE INDEX otel_log_pending_until ON otel_log_pending (ws, link_until);
    CREATE INDEX otel_links_run ON otel_links (ws, run_id);
  `,
};
