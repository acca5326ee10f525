/** Observed loggers (Prefect Cloud), served on both path families. */
import { renderObservedLogger } from '../../domain/observed-loggers.ts';
import { parseOrThrow } from '../../domain/schema.ts';
import {
  traceObservedLoggers,
  traceObservedLoggersQuery,
  workspaceObservedLoggers,
  workspaceObservedLoggersQuery,
} from '../../ops/logs/observed-loggers.ts';
import { queryValues } from '../query.ts';
import { type RouteDef, uuidParam } from '../router.ts';

export const observedLoggerRoutes: RouteDef[] = [
  {
    method: 'GET',
    path: '/observed-loggers',
    tag: 'Logs',
    summary: 'Logger names seen in the workspace, with log counts and first/last log timestamps.',
    query: workspaceObservedLoggersQuery,
    async handler(ctx, req) {
      const q = parseOrThrow(workspaceObservedLoggersQuery, queryValues(req), ['query'], null);
      return (await workspaceObservedLoggers(ctx, q)).map(renderObservedLogger);
    },
  },
  {
    method: 'GET',
    path: '/traces/:trace_id/observed-loggers',
    tag: 'Logs',
    summary: 'Logger names seen in the logs of a trace (its flow runs), with counts and first/last log timestamps.',
    query: traceObservedLoggersQuery,
    async handler(ctx, req) {
      const traceId = uuidParam(req, 'trace_id');
      const q = parseOrThrow(traceObservedLoggersQuery, queryValues(req), ['query'], null);
      return (await traceObservedLoggers(ctx, traceId, q)).map(renderObservedLogger);
    },
  },
];
