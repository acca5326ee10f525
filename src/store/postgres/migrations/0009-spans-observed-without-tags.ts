/**
 * The index over a trace's observed states no longer carries the spans' tags (`INCLUDE (tags)`): a
 * B-tree entry holds at most 2,704 bytes, so a run with many or long tags (which do not compress)
 * could not be stored at all — its span, and with it the event or request that made it, failed.
 * Observed tags of a trace now read the trace's spans from the table through the same index.
 */
import type { Migration } from './index.ts';

export const spansObservedWithoutTags: Migration = {
  version: 9,
  name: 'spans: the observed-states index without tags',
  sql: `
    DROP INDEX spans_trace_observed;
    CREATE INDEX spans_trace_observed ON spans (ws, trace_id, state_type, state_name, state_timestamp);
  `,
};
