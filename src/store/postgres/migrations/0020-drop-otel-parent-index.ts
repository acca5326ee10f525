/**
 * OTLP span ingest writes one random-keyed b-tree fewer (ADR 50): the OTel spans waiting under an
 * OTel parent are found through their projected spans (`spans_parent_order`), so `otel_spans` no
 * longer keeps an index by OTel parent.
 */
import type { Migration } from './index.ts';

export const dropOtelParentIndex: Migration = {
  version: 20,
  name: 'otel spans: no index by OTel parent (their spans are found by parent instead)',
  sql: `
    DROP INDEX otel_spans_parent;
  `,
};
