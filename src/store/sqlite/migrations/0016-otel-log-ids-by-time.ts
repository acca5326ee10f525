/**
 * OTLP log ids (ADR 41) by the time they were recorded: retention forgets the oldest ones with
 * the log setting (issue 24), oldest first.
 */
import type { Migration } from './index.ts';

export const otelLogIdsByTime: Migration = {
  version: 16,
  name: 'otel log ids by time: retention forgets the oldest',
  sql: `
      CREATE INDEX otel_log_ids_stored ON otel_log_ids (ws, stored);
  `,
};
