/**
 * `GET /traces/{trace_id}`: a page of a trace's spans in span order (`direction=asc`) or its exact
 * reverse (`desc`), filtered, with opaque signed cursors both ways. `prev_cursor` is null on the
 * first page and `next_cursor` on the last; a `prev_cursor` page is the page before, in the same
 * direction, so paging forward and back again returns the same spans.
 */
import { notFound } from '../../domain/errors.ts';
import { uuid } from '../../domain/ids.ts';
import { stateTypeSchema } from '../../domain/runs/states.ts';
import {
  FILTER_VALUES_MAX,
  SPAN_QUERY_MAX,
  SPANS_LIMIT_DEFAULT,
  SPANS_LIMIT_MAX,
  type SpanFilters,
} from '../../domain/spans/query.ts';
import { positionOf, type SpanRow, spanTypeSchema } from '../../domain/spans/span.ts';
import { isBlank, parseTextQuery } from '../../domain/text-query.ts';
import { array, type Infer, int, literal, object, optional, type Schema, str } from '../../lib/schema.ts';
import { type OpContext, storeOf } from '../context.ts';
import { canonicalQuery, type DecodedCursor, makeCursor, readCursor, type SpanQueryKey } from './span-cursor.ts';

const listOf = <T>(item: Schema<T>) => array(item, { max: FILTER_VALUES_MAX });

export const readSpansQuerySchema = object(
  {
    parent_span_id: optional(uuid().describe('Only children of this span')),
    depth: optional(int({ min: 0 }).describe('Only spans at this depth (0 = the root)')),
    entities: optional(listOf(spanTypeSchema).describe('Span types, any of: flow-run, task-run, artifact, otel')),
    state_types: optional(listOf(stateTypeSchema).describe('State types, any of')),
    state_names: optional(listOf(str()).describe('State names, any of')),
    tags: optional(listOf(str()).describe('Tags, any of')),
    query: optional(
      str({ max: SPAN_QUERY_MAX }).describe(
        'Text over name, tags and attribute values: space = OR, -/! = NOT, "phrase"',
      ),
    ),
    limit: optional(int({ min: 1, max: SPANS_LIMIT_MAX }), () => SPANS_LIMIT_DEFAULT),
    cursor: optional(str().describe('next_cursor or prev_cursor of a previous page')),
    direction: optional(literal(['asc', 'desc'] as const).describe('asc (default) or desc')),
  },
  { extra: 'ignore' },
);
export type ReadSpansInput = Infer<typeof readSpansQuerySchema>;

export interface SpanPage {
  spans: SpanRow[];
  next_cursor: string | null;
  prev_cursor: string | null;
}

/** The query the request spelled out, or undefined when it named no filter and no direction. */
function givenQuery(input: ReadSpansInput): SpanQueryKey | undefined {
  const { limit: _limit, cursor: _cursor, ...rest } = input;
  if (Object.values(rest).every((v) => v === undefined)) return undefined;
  return canonicalQuery(rest);
}

export function spanFilters(q: SpanQueryKey): SpanFilters {
  const f: SpanFilters = {
    parent_span_id: q.parent_span_id,
    depth: q.depth,
    entities: q.entities,
    state_types: q.state_types,
    state_names: q.state_names,
    tags: q.tags,
  };
  if (q.query !== undefined) {
    const text = parseTextQuery(q.query);
    if (!isBlank(text)) f.text = text;
  }
  return f;
}

export async function ensureTrace(ctx: OpContext, traceId: string): Promise<void> {
  if (!(await storeOf(ctx.services).spans.hasTrace(ctx.workspace.id, traceId))) throw notFound('Trace');
}

export async function readSpans(ctx: OpContext, traceId: string, input: ReadSpansInput): Promise<SpanPage> {
  await ensureTrace(ctx, traceId);
  const given = givenQuery(input);
  let query = given ?? canonicalQuery({});
  let cursor: DecodedCursor | undefined;
  if (input.cursor !== undefined) {
    cursor = await readCursor(ctx, traceId, input.cursor, given);
    query = cursor.query;
  }
  const before = cursor?.before ?? false;
  const rows = await storeOf(ctx.services).spans.list(ctx.workspace.id, traceId, {
    filters: spanFilters(query),
    // A page before the cursor is read backwards from it, then turned around.
    descending: (query.direction === 'desc') !== before,
    after: cursor?.position,
    limit: input.limit + 1,
  });
  const more = rows.length > input.limit;
  const spans = rows.slice(0, input.limit);
  if (before) spans.reverse();

  const first = spans[0];
  const last = spans[spans.length - 1];
  const at = async (s: SpanRow, pageBefore: boolean) =>
    makeCursor(ctx, traceId, { query, position: positionOf(s), before: pageBefore });
  let next: string | null = null;
  let prev: string | null = null;
  if (before) {
    if (more) prev = await at(first, true);
    if (last) next = await at(last, false);
  } else {
    if (more) next = await at(last, false);
    if (cursor && first) prev = await at(first, true);
  }
  return { spans, next_cursor: next, prev_cursor: prev };
}
