/**
 * A flow run's logs: `GET /flow_runs/{id}/logs` (a page, with ETag/304) and the downloads
 * `GET /flow_runs/{id}/logs/download` and its deprecated Cloud alias
 * `GET /flow_runs/{id}/download-logs-csv` (CSV, or plain text with `?format=text`).
 */
import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { logSchema, renderLog } from '../../domain/logs.ts';
import { array, type Infer, object, optional } from '../../lib/schema.ts';
import type { OpContext } from '../../ops/context.ts';
import { type ExportFormat, exportFlowRunLogs, exportFormatSchema } from '../../ops/logs/export-logs.ts';
import { flowRunLogs, flowRunLogsQuerySchema } from '../../ops/logs/flow-run-logs.ts';
import { notModified } from '../conditional.ts';
import { attachment } from '../content-disposition.ts';
import { type FileBody, type RouteDef, route } from '../router.ts';

const downloadQuerySchema = object(
  { format: optional(exportFormatSchema.describe("csv (default, Prefect's format) or text"), () => 'csv' as const) },
  { extra: 'ignore' },
);

const CONTENT_TYPE = { csv: 'text/csv; charset=utf-8', text: 'text/plain; charset=utf-8' } as const;
/** What a log download answers: CSV, or text with `?format=text`. */
export const LOG_FILE: FileBody = { file: Object.values(CONTENT_TYPE) };
const EXTENSION = { csv: 'csv', text: 'txt' } as const;

const download: RouteDef<Infer<typeof downloadQuerySchema>>['handler'] = (ctx, { params, query }, _req, reply) =>
  sendLogFile(ctx, params.id, query.format, reply);

/** Streams a run's logs as a file (CSV or text) named after the run. */
export async function sendLogFile(ctx: OpContext, runId: string, format: ExportFormat, reply: FastifyReply) {
  const file = await exportFlowRunLogs(ctx, runId, format);
  const ext = EXTENSION[format];
  // Every file names its run (Prefect's generic `flow-run-logs.csv` made `curl -OJ` refuse the
  // second download): by the run's name, or by its id when the run was never recorded.
  const name = `${file.run.name ?? `flow-run-${runId}`}-logs.${ext}`;
  return reply
    .type(CONTENT_TYPE[format])
    .header('content-disposition', attachment(name))
    .send(Readable.from(file.chunks, { objectMode: false }));
}

const DOWNLOAD_SUMMARY =
  "Download all logs of a flow run, oldest first, streamed: CSV (Prefect's columns; cells that a spreadsheet would read as a formula are prefixed with ') or, with ?format=text, one line per log.";

export const flowRunLogRoutes: RouteDef[] = [
  route({
    method: 'GET',
    path: '/flow_runs/:id/logs',
    tag: 'Logs',
    scope: 'read',
    summary:
      "A page of a flow run's logs (a bare Log[]; [] for an unknown run). Sends an ETag that changes when the run gains a log; If-None-Match with it (or *) answers 304.",
    query: flowRunLogsQuerySchema,
    response: { 200: array(logSchema), 304: null },
    async handler(ctx, { params, query }, req, reply) {
      const page = await flowRunLogs(ctx, params.id, query, (etag) => notModified(req, etag));
      reply.header('etag', page.etag).header('cache-control', 'no-cache');
      if (!page.rows) return reply.code(304).send();
      return page.rows.map(renderLog);
    },
  }),
  route({
    method: 'GET',
    path: '/flow_runs/:id/logs/download',
    tag: 'Logs',
    scope: 'read',
    summary: DOWNLOAD_SUMMARY,
    query: downloadQuerySchema,
    response: LOG_FILE,
    handler: download,
  }),
  route({
    method: 'GET',
    path: '/flow_runs/:id/download-logs-csv',
    tag: 'Logs',
    scope: 'read',
    summary: `Deprecated alias of /flow_runs/{id}/logs/download (Prefect Cloud). ${DOWNLOAD_SUMMARY}`,
    query: downloadQuerySchema,
    response: LOG_FILE,
    handler: download,
  }),
];
