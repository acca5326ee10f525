/** Log routes: `POST /logs/` and `POST /logs/filter`. */
import { logBatchSchema, logSchema, renderLog } from '../../domain/logs.ts';
import { array, nullValue, object } from '../../lib/schema.ts';
import { receiveLogs } from '../../ops/logs/create-logs.ts';
import { filterLogs, filterLogsSchema } from '../../ops/logs/filter-logs.ts';
import { type Responses, type RouteDef, route } from '../router.ts';

export const logRoutes: RouteDef[] = [
  route({
    method: 'POST',
    path: '/logs/',
    tag: 'Logs',
    scope: 'write',
    summary: 'Create logs (a JSON array of LogCreate). 201 with body null on open-source paths, 202 on Cloud paths.',
    body: logBatchSchema,
    items: (body) => body.length,
    response: (family): Responses => (family === 'oss' ? { 201: nullValue() } : { 202: object({}) }),
    async handler(ctx, { body }, _req, reply) {
      await receiveLogs(ctx.services.logWriter, ctx.workspace.id, body);
      if (ctx.family === 'cloud') return reply.code(202).type('application/json').send('{}');
      return reply.code(201).type('application/json').send('null');
    },
  }),
  route({
    method: 'POST',
    path: '/logs/filter',
    tag: 'Logs',
    scope: 'read',
    summary: 'Read logs matching a LogFilter, sorted by timestamp (ties in insertion order).',
    body: filterLogsSchema,
    bodyOptional: true,
    response: array(logSchema),
    async handler(ctx, { body }) {
      const rows = await filterLogs(ctx, body);
      return rows.map(renderLog);
    },
  }),
];
