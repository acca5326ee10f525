/**
 * `GET /traces/{trace_id}/context/{span_id}`: what a view needs to show one span in its tree — every
 * ancestor (root first), then up to `context_size` siblings before the span, the span, and up to
 * `context_size` siblings after it, in span order. Siblings share the span's parent. Cursors page
 * on through the siblings with `GET /traces/{trace_id}` (they carry `parent_span_id`).
 */
import { notFound } from '../../domain/errors.ts';
import { CONTEXT_SIZE_DEFAULT, CONTEXT_SIZE_MAX } from '../../domain/spans/query.ts';
import { positionOf, type SpanRow } from '../../domain/spans/span.ts';
import { type Infer, int, object, optional } from '../../lib/schema.ts';
import { type OpContext, storeOf } from '../context.ts';
import { ensureTrace, spanFilters } from './read-spans.ts';
import { canonicalQuery, makeCursor } from './span-cursor.ts';

export const spanContextQuerySchema = object(
  {
    context_size: optional(
      int({ min: 1, max: CONTEXT_SIZE_MAX }).describe('Siblings to include before and after the span'),
      () => CONTEXT_SIZE_DEFAULT,
    ),
  },
  { extra: 'ignore' },
);
export type SpanContextInput = Infer<typeof spanContextQuerySchema>;

export interface SpanContext {
  spans: SpanRow[];
  target_span_id: string;
  has_more_before: boolean;
  has_more_after: boolean;
  next_cursor: string | null;
  prev_cursor: string | null;
}

/** The span `spanId` of trace `traceId`; 404 when the trace is unknown or the span is not in it. */
export async function spanOfTrace(ctx: OpContext, traceId: string, spanId: string): Promise<SpanRow> {
  await ensureTrace(ctx, traceId);
  const span = await storeOf(ctx.services).spans.get(ctx.workspace.id, spanId);
  if (!span || span.trace_id !== traceId) throw notFound('Span');
  return span;
}

export async function spanContext(
  ctx: OpContext,
  traceId: string,
  spanId: string,
  input: SpanContextInput,
): Promise<SpanContext> {
  const store = storeOf(ctx.services);
  const ws = ctx.workspace.id;
  const target = await spanOfTrace(ctx, traceId, spanId);
  const n = input.context_size;

  const byPath = new Map((await store.spans.getMany(ws, traceId, target.path)).map((s) => [s.span_id, s]));
  const ancestors = target.path.map((id) => byPath.get(id)).filter((s): s is SpanRow => s !== undefined);

  // A root's siblings would be the other roots of its trace: there are none.
  const query = canonicalQuery(
    target.parent_span_id !== null ? { parent_span_id: target.parent_span_id } : { depth: target.depth },
  );
  const filters = spanFilters(query);
  const at = positionOf(target);
  const earlier = await store.spans.list(ws, traceId, { filters, descending: true, after: at, limit: n + 1 });
  const later = await store.spans.list(ws, traceId, { filters, descending: false, after: at, limit: n + 1 });
  const before = earlier.slice(0, n).reverse();
  const after = later.slice(0, n);
  const hasMoreBefore = earlier.length > n;
  const hasMoreAfter = later.length > n;
  return {
    spans: [...ancestors, ...before, target, ...after],
    target_span_id: target.span_id,
    has_more_before: hasMoreBefore,
    has_more_after: hasMoreAfter,
    prev_cursor: hasMoreBefore
      ? await makeCursor(ctx, traceId, { query, position: positionOf(before[0]), before: true })
      : null,
    next_cursor: hasMoreAfter
      ? await makeCursor(ctx, traceId, { query, position: positionOf(after[after.length - 1]), before: false })
      : null,
  };
}
