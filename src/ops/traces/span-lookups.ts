/** Spans by id: several of one trace, one of one trace, and the trace of any run. */
import { notFound } from '../../domain/errors.ts';
import { uuid } from '../../domain/ids.ts';
import { SPAN_IDS_MAX } from '../../domain/spans/query.ts';
import type { SpanRow } from '../../domain/spans/span.ts';
import { array, type Infer, object, optional } from '../../lib/schema.ts';
import { type OpContext, storeOf } from '../context.ts';
import { ensureTrace } from './read-spans.ts';
import { spanOfTrace } from './span-context.ts';

export const spansByIdsQuerySchema = object(
  {
    ids: optional(
      array(uuid(), { max: SPAN_IDS_MAX }).describe('Span ids; ids of other traces are left out'),
      () => [] as string[],
    ),
  },
  { extra: 'ignore' },
);
export type SpansByIdsInput = Infer<typeof spansByIdsQuerySchema>;

/** The spans of the trace among `ids`, in span order; 404 for an unknown trace. */
export async function spansByIds(ctx: OpContext, traceId: string, input: SpansByIdsInput): Promise<SpanRow[]> {
  await ensureTrace(ctx, traceId);
  return storeOf(ctx.services).spans.getMany(ctx.workspace.id, traceId, input.ids);
}

export function readSpan(ctx: OpContext, traceId: string, spanId: string): Promise<SpanRow> {
  return spanOfTrace(ctx, traceId, spanId);
}

/** The trace and span of a run (or artifact) id; 404 when it has no span. */
export async function lookupSpan(ctx: OpContext, runId: string): Promise<SpanRow> {
  const span = await storeOf(ctx.services).spans.get(ctx.workspace.id, runId);
  if (!span) throw notFound('Span');
  return span;
}
