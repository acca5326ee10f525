/** Observed loggers (Prefect Cloud), served on both path families. */
import { observedLoggerSchema, renderObservedLogger } from '../../domain/observed-loggers.ts';
import { array } from '../../lib/schema.ts';
import {
  traceObservedLoggers,
  traceObservedLoggersQuerySchema,
  workspaceObservedLoggers,
  workspaceObservedLoggersQuerySchema,
} from '../../ops/logs/observed-loggers.ts';
import type { RouteDef } from '../router.ts';
import { readRoute } from './read-route.ts';

const loggers = array(observedLoggerSchema);

export const observedLoggerRoutes: RouteDef[] = [
  readRoute(
    'Logs',
    '/observed-loggers',
    'Logger names seen in the workspace, with log counts and first/last log timestamps.',
    loggers,
    async (ctx, { query }) => (await workspaceObservedLoggers(ctx, query)).map(renderObservedLogger),
    workspaceObservedLoggersQuerySchema,
  ),
  readRoute(
    'Logs',
    '/traces/:trace_id/observed-loggers',
    'Logger names seen in the logs of a trace (its flow runs), with counts and first/last log timestamps.',
    loggers,
    async (ctx, { params, query }) =>
      (await traceObservedLoggers(ctx, params.trace_id, query)).map(renderObservedLogger),
    traceObservedLoggersQuerySchema,
  ),
];
