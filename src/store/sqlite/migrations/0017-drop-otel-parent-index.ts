/**
 * OTLP span ingest writes fewer random-keyed b-trees (ADR 50): the OTel spans waiting under an OTel
 * parent are found through their projected spans (`spans_parent_order`), so `otel_spans` no longer
 * keeps an index by OTel parent. It was a fifth of each 512-span commit.
 */
import type { Migration } from './index.ts';

export const dropOtelParentIndex: Migration = {
  version: 17,
  name: 'otel spans: no index by OTel parent (their spans are found by parent instead)',
  sql: `
      DROP INDEX otel_spans_parent;
  `,
};
