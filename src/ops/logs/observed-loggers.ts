/**
 * Observed loggers (Prefect Cloud): logger names with their counts and first/last seen log
 * timestamps, for a workspace or for one trace. Served from statistics the store maintains at
 * ingest; a trace's loggers are those of its flow runs (`TraceStore.flowRunIds`).
 */
import {
  OBSERVED_LOGGERS_LIMIT_MAX,
  OBSERVED_LOGGERS_LIMIT_TRACE,
  OBSERVED_LOGGERS_LIMIT_WORKSPACE,
  OBSERVED_LOGGERS_QUERY_MAX,
  type ObservedLogger,
} from '../../domain/observed-loggers.ts';
import { observedSortSchema } from '../../domain/observed-sorts.ts';
import { type Infer, int, object, optional, str } from '../../lib/schema.ts';
import { type OpContext, storeOf } from '../context.ts';

function querySchema(defaultLimit: number) {
  return object(
    {
      query: optional(str({ max: OBSERVED_LOGGERS_QUERY_MAX }).describe('Prefix of logger names (case-sensitive)')),
      order_by: optional(observedSortSchema, () => 'LAST_SEEN_DESC' as const),
      limit: optional(int({ min: 1, max: OBSERVED_LOGGERS_LIMIT_MAX }), () => defaultLimit),
    },
    { extra: 'ignore' },
  );
}

export const workspaceObservedLoggersQuerySchema = querySchema(OBSERVED_LOGGERS_LIMIT_WORKSPACE);
export const traceObservedLoggersQuerySchema = querySchema(OBSERVED_LOGGERS_LIMIT_TRACE);
export type ObservedLoggersInput = Infer<typeof workspaceObservedLoggersQuerySchema>;

function toQuery(q: ObservedLoggersInput) {
  return { prefix: q.query || undefined, orderBy: q.order_by, limit: q.limit };
}

export function workspaceObservedLoggers(ctx: OpContext, q: ObservedLoggersInput): Promise<ObservedLogger[]> {
  return storeOf(ctx.services).logs.observedLoggers(ctx.workspace.id, toQuery(q));
}

export async function traceObservedLoggers(
  ctx: OpContext,
  traceId: string,
  q: ObservedLoggersInput,
): Promise<ObservedLogger[]> {
  const store = storeOf(ctx.services);
  const flowRunIds = await store.traces.flowRunIds(ctx.workspace.id, traceId);
  return store.logs.observedLoggers(ctx.workspace.id, { ...toQuery(q), flowRunIds });
}
