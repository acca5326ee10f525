/** Spans and traces (Prefect Cloud's "Spans" operations), served on both path families. */

import {
  observedStateSchema,
  observedTagSchema,
  renderObservedState,
  renderObservedTag,
} from '../../domain/spans/observed.ts';
import { renderSpan, renderSpanIdentifier, spanIdentifierSchema, spanSchema } from '../../domain/spans/span.ts';
import { nowMicros } from '../../domain/time.ts';
import { array, bool, object, orNull, str } from '../../lib/schema.ts';
import {
  observedTagsQuerySchema,
  spanObservedTags,
  traceObservedStates,
  traceObservedStatesQuerySchema,
  traceObservedTags,
  workspaceObservedStates,
  workspaceObservedStatesQuerySchema,
} from '../../ops/traces/observed.ts';
import { readSpans, readSpansQuerySchema } from '../../ops/traces/read-spans.ts';
import { spanContext, spanContextQuerySchema } from '../../ops/traces/span-context.ts';
import { lookupSpan, readSpan, spansByIds, spansByIdsQuerySchema } from '../../ops/traces/span-lookups.ts';
import { type RouteDef, route } from '../router.ts';
import { readRoute } from './read-route.ts';

const TAG = 'Spans';

const spans = array(spanSchema);
const cursor = orNull(str());
const tags = array(observedTagSchema);
const states = array(observedStateSchema);

export const traceRoutes: RouteDef[] = [
  route({
    method: 'GET',
    path: '/traces/:trace_id',
    tag: TAG,
    scope: 'read',
    summary:
      'A page of the spans of a trace (its root flow run and every run and artifact beneath it), in span order ' +
      '(start time, unstarted last, then span id) or its reverse, filtered; opaque signed cursors both ways.',
    query: readSpansQuerySchema,
    response: object({ spans, next_cursor: cursor, prev_cursor: cursor }),
    queryLists: { lists: ['state_names', 'tags'], commaLists: ['entities', 'state_types'] },
    async handler(ctx, { params, query }) {
      const page = await readSpans(ctx, params.trace_id, query);
      const now = nowMicros();
      return {
        spans: page.spans.map((s) => renderSpan(s, now)),
        next_cursor: page.next_cursor,
        prev_cursor: page.prev_cursor,
      };
    },
  }),
  route({
    method: 'GET',
    path: '/traces/:trace_id/context/:span_id',
    tag: TAG,
    scope: 'read',
    summary:
      'A span with all its ancestors and up to context_size siblings on each side (plus target_span_id, has_more_before/after).',
    query: spanContextQuerySchema,
    response: object({
      spans,
      next_cursor: cursor,
      prev_cursor: cursor,
      target_span_id: str(),
      has_more_before: bool(),
      has_more_after: bool(),
    }),
    async handler(ctx, { params, query }) {
      const c = await spanContext(ctx, params.trace_id, params.span_id, query);
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
  }),
  route({
    method: 'GET',
    path: '/traces/:trace_id/spans',
    tag: TAG,
    scope: 'read',
    summary: 'The spans of the trace with these ids (?ids=…&ids=…), in span order; ids of other traces are left out.',
    query: spansByIdsQuerySchema,
    response: spans,
    queryLists: { lists: ['ids'] },
    async handler(ctx, { params, query }) {
      const now = nowMicros();
      return (await spansByIds(ctx, params.trace_id, query)).map((s) => renderSpan(s, now));
    },
  }),
  readRoute(
    TAG,
    '/traces/:trace_id/spans/:span_id',
    'One span of a trace (404 when it is not in that trace).',
    spanSchema,
    async (ctx, { params }) => renderSpan(await readSpan(ctx, params.trace_id, params.span_id), nowMicros()),
  ),
  readRoute(
    TAG,
    '/spans/lookup/:run_id',
    'The trace and span of a flow run, task run or artifact id.',
    spanIdentifierSchema,
    async (ctx, { params }) => renderSpanIdentifier(await lookupSpan(ctx, params.run_id)),
  ),
  readRoute(
    TAG,
    '/traces/:trace_id/observed-tags',
    'Tags of the spans of a trace with the number of spans carrying each; count descending, then tag.',
    tags,
    async (ctx, { params, query }) => (await traceObservedTags(ctx, params.trace_id, query)).map(renderObservedTag),
    observedTagsQuerySchema,
  ),
  readRoute(
    TAG,
    '/spans/:span_id/observed-tags',
    'Tags of a span and all its descendants with the number of spans carrying each; count descending, then tag.',
    tags,
    async (ctx, { params, query }) => (await spanObservedTags(ctx, params.span_id, query)).map(renderObservedTag),
    observedTagsQuerySchema,
  ),
  readRoute(
    TAG,
    '/observed-states',
    "State type/name pairs the workspace's runs entered, with the first and last state timestamp of each.",
    states,
    async (ctx, { query }) => (await workspaceObservedStates(ctx, query)).map(renderObservedState),
    workspaceObservedStatesQuerySchema,
  ),
  readRoute(
    TAG,
    '/traces/:trace_id/observed-states',
    'State type/name pairs the runs of a trace entered, with the first and last state timestamp of each.',
    states,
    async (ctx, { params, query }) => (await traceObservedStates(ctx, params.trace_id, query)).map(renderObservedState),
    traceObservedStatesQuerySchema,
  ),
];
