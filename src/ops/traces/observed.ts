/** Observed tags (of a trace, of a span's subtree) and observed states (of the workspace, of a trace). */
import { notFound } from '../../domain/errors.ts';
import { observedSortSchema } from '../../domain/observed-sorts.ts';
import {
  OBSERVED_QUERY_MAX,
  OBSERVED_STATES_LIMIT_TRACE,
  OBSERVED_STATES_LIMIT_TRACE_MAX,
  OBSERVED_STATES_LIMIT_WORKSPACE,
  OBSERVED_STATES_LIMIT_WORKSPACE_MAX,
  type ObservedState,
  type ObservedTag,
} from '../../domain/spans/observed.ts';
import { type Infer, int, object, optional, str } from '../../lib/schema.ts';
import { type OpContext, storeOf } from '../context.ts';
import { ensureTrace } from './read-spans.ts';

export const observedTagsQuerySchema = object(
  { query: optional(str({ max: OBSERVED_QUERY_MAX }).describe('Tag prefix (case-insensitive)')) },
  { extra: 'ignore' },
);
export type ObservedTagsInput = Infer<typeof observedTagsQuerySchema>;

function statesQuery(defaultLimit: number, maxLimit: number) {
  return object(
    {
      query: optional(str({ max: OBSERVED_QUERY_MAX }).describe('Prefix of the state type or name (case-insensitive)')),
      order_by: optional(observedSortSchema, () => 'LAST_SEEN_DESC' as const),
      limit: optional(int({ min: 1, max: maxLimit }), () => defaultLimit),
    },
    { extra: 'ignore' },
  );
}

export const workspaceObservedStatesQuerySchema = statesQuery(
  OBSERVED_STATES_LIMIT_WORKSPACE,
  OBSERVED_STATES_LIMIT_WORKSPACE_MAX,
);
export const traceObservedStatesQuerySchema = statesQuery(OBSERVED_STATES_LIMIT_TRACE, OBSERVED_STATES_LIMIT_TRACE_MAX);
export type ObservedStatesInput = Infer<typeof workspaceObservedStatesQuerySchema>;

const prefixOf = (q: string | undefined) => (q ? q : undefined);
const storeStatesQuery = (input: ObservedStatesInput) => ({
  prefix: prefixOf(input.query),
  orderBy: input.order_by,
  limit: input.limit,
});

export async function traceObservedTags(
  ctx: OpContext,
  traceId: string,
  input: ObservedTagsInput,
): Promise<ObservedTag[]> {
  await ensureTrace(ctx, traceId);
  return storeOf(ctx.services).spans.observedTags(ctx.workspace.id, { traceId }, prefixOf(input.query));
}

/** Tags of the span and of all its descendants; 404 for an unknown span. */
export async function spanObservedTags(
  ctx: OpContext,
  spanId: string,
  input: ObservedTagsInput,
): Promise<ObservedTag[]> {
  if (!(await storeOf(ctx.services).spans.get(ctx.workspace.id, spanId))) throw notFound('Span');
  return storeOf(ctx.services).spans.observedTags(ctx.workspace.id, { spanId }, prefixOf(input.query));
}

export function workspaceObservedStates(ctx: OpContext, input: ObservedStatesInput): Promise<ObservedState[]> {
  return storeOf(ctx.services).spans.observedStates(ctx.workspace.id, {}, storeStatesQuery(input));
}

export async function traceObservedStates(
  ctx: OpContext,
  traceId: string,
  input: ObservedStatesInput,
): Promise<ObservedState[]> {
  await ensureTrace(ctx, traceId);
  return storeOf(ctx.services).spans.observedStates(ctx.workspace.id, { traceId }, storeStatesQuery(input));
}
