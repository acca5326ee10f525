/** Spans and traces (Prefect Cloud's "Spans" operations), served on both path families. */

import { parseOrThrow } from '../../domain/schema.ts';
import { renderObservedState, renderObservedTag } from '../../domain/spans/observed.ts';
import { renderSpan, renderSpanIdentifier } from '../../domain/spans/span.ts';
import { nowMicros } from '../../domain/time.ts';
import {
  observedTagsQuery,
  spanObservedTags,
  traceObservedStates,
  traceObservedStatesQuery,
  traceObservedTags,
  workspaceObservedStates,
  workspaceObservedStatesQuery,
} from '../../ops/traces/observed.ts';
import { readSpans, readSpansQuery } from '../../ops/traces/read-spans.ts';
import { spanContext, spanContextQuery } from '../../ops/traces/span-context.ts';
import { lookupSpan, readSpan, spansByIds, spansByIdsQuery } from '../../ops/traces/span-lookups.ts';
import { queryLists, queryValues } from '../query.ts';
import { type RouteDef, uuidParam } from '../router.ts';

const TAG = 'Spans';

export const traceRoutes: RouteDef[] = [
  {
    method: 'GET',
    path: '/traces/:trace_id',
    tag: TAG,
    summary:
      'A page of the spans of a trace (its root flow run and every run and artifact beneath it), in span order ' +
      '(start time, unstarted last, then span id) or its reverse, filtered; opaque signed cursors both ways.',
    query: readSpansQuery,
    async handler(ctx, req) {
      const traceId = uuidParam(req, 'trace_id');
      const input = queryLists(req, { lists: ['state_names', 'tags'], commaLists: ['entities', 'state_types'] });
      const page = await readSpans(ctx, traceId, parseOrThrow(readSpansQuery, input, ['query'], null));
      const now = nowMicros();
      return {
        spans: page.spans.map((s) => renderSpan(s, now)),
        next_cursor: page.next_cursor,
        prev_cursor: page.prev_cursor,
      };
    },
  },
  {
    method: 'GET',
    path: '/traces/:trace_id/context/:span_id',
    tag: TAG,
    summary:
      'A span with all its ancestors and up to context_size siblings on each side (plus target_span_id, has_more_before/after).',
    query: spanContextQuery,
    async handler(ctx, req) {
      const traceId = uuidParam(req, 'trace_id');
      const spanId = uuidParam(req, 'span_id');
      const c = await spanContext(
        ctx,
        traceId,
        spanId,
        parseOrThrow(spanContextQuery, queryValues(req), ['query'], null),
      );
      const now = nowMicros();
      return {
        spans: c.spans.map((s) => renderSpan(s, now)),
        next_cursor: c.next_cursor,
        prev_cursor: c.prev_cursor,
        target_span_id: c.target_span_id,
        has_more_before: c.has_more_before,
        has_more_after: c.has_more_after,
      };
    },
  },
  {
    method: 'GET',
    path: '/traces/:trace_id/spans',
    tag: TAG,
    summary: 'The spans of the trace with these ids (?ids=…&ids=…), in span order; ids of other traces are left out.',
    query: spansByIdsQuery,
    async handler(ctx, req) {
      const traceId = uuidParam(req, 'trace_id');
      const input = parseOrThrow(spansByIdsQuery, queryLists(req, { lists: ['ids'] }), ['query'], null);
      const now = nowMicros();
      return (await spansByIds(ctx, traceId, input)).map((s) => renderSpan(s, now));
    },
  },
  {
    method: 'GET',
    path: '/traces/:trace_id/spans/:span_id',
    tag: TAG,
    summary: 'One span of a trace (404 when it is not in that trace).',
    async handler(ctx, req) {
      return renderSpan(await readSpan(ctx, uuidParam(req, 'trace_id'), uuidParam(req, 'span_id')), nowMicros());
    },
  },
  {
    method: 'GET',
    path: '/spans/lookup/:run_id',
    tag: TAG,
    summary: 'The trace and span of a flow run, task run or artifact id.',
    async handler(ctx, req) {
      return renderSpanIdentifier(await lookupSpan(ctx, uuidParam(req, 'run_id')));
    },
  },
  {
    method: 'GET',
    path: '/traces/:trace_id/observed-tags',
    tag: TAG,
    summary: 'Tags of the spans of a trace with the number of spans carrying each; count descending, then tag.',
    query: observedTagsQuery,
    async handler(ctx, req) {
      const input = parseOrThrow(observedTagsQuery, queryValues(req), ['query'], null);
      return (await traceObservedTags(ctx, uuidParam(req, 'trace_id'), input)).map(renderObservedTag);
    },
  },
  {
    method: 'GET',
    path: '/spans/:span_id/observed-tags',
    tag: TAG,
    summary:
      'Tags of a span and all its descendants with the number of spans carrying each; count descending, then tag.',
    query: observedTagsQuery,
    async handler(ctx, req) {
      const input = parseOrThrow(observedTagsQuery, queryValues(req), ['query'], null);
      return (await spanObservedTags(ctx, uuidParam(req, 'span_id'), input)).map(renderObservedTag);
    },
  },
  {
    method: 'GET',
    path: '/observed-states',
    tag: TAG,
    summary: "State type/name pairs the workspace's runs entered, with the first and last state timestamp of each.",
    query: workspaceObservedStatesQuery,
    async handler(ctx, req) {
      const input = parseOrThrow(workspaceObservedStatesQuery, queryValues(req), ['query'], null);
      return (await workspaceObservedStates(ctx, input)).map(renderObservedState);
    },
  },
  {
    method: 'GET',
    path: '/traces/:trace_id/observed-states',
    tag: TAG,
    summary: 'State type/name pairs the runs of a trace entered, with the first and last state timestamp of each.',
    query: traceObservedStatesQuery,
    async handler(ctx, req) {
      const input = parseOrThrow(traceObservedStatesQuery, queryValues(req), ['query'], null);
      return (await traceObservedStates(ctx, uuidParam(req, 'trace_id'), input)).map(renderObservedState);
    },
  },
];
