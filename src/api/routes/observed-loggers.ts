/** Observed loggers (Prefect Cloud), served on both path families. */
import { renderObservedLogger } from '../../domain/observed-loggers.ts';
import {
  traceObservedLoggers,
  traceObservedLoggersQuerySchema,
  workspaceObservedLoggers,
  workspaceObservedLoggersQuerySchema,
} from '../../ops/logs/observed-loggers.ts';
import { type RouteDef, route } from '../router.ts';

export const observedLoggerRoutes: RouteDef[] = [
  route({
    method: 'GET',
    path: '/observed-loggers',
    tag: 'Logs',
    scope: 'read',
    summary: 'Logger names seen in the workspace, with log counts and first/last log timestamps.',
    query: workspaceObservedLoggersQuerySchema,
    async handler(ctx, { query }) {
      return (await workspaceObservedLoggers(ctx, query)).map(renderObservedLogger);
    },
  }),
  route({
    method: 'GET',
    path: '/traces/:trace_id/observed-loggers',
    tag: 'Logs',
    scope: 'read',
    summary: 'Logger names seen in the logs of a trace (its flow runs), with counts and first/last log timestamps.',
    query: traceObservedLoggersQuerySchema,
    async handler(ctx, { params, query }) {
      return (await traceObservedLoggers(ctx, params.trace_id, query)).map(renderObservedLogger);
    },
  }),
];
