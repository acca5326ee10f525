/**
 * The flow-run management API, `/api/v1/…` (and under a workspace's Cloud path): runs, a run's
 * logs, retry and stop. Its parameters are read by `domain/management/` (errors there are
 * `unsupported_parameter` / `invalid_parameter`, not validation issues), its errors are
 * `{code, message}` bodies (`api/errors.ts`), its lists `{data, meta, links}` with absolute links.
 */
import { Readable } from 'node:stream';
import { downloadSchema, readDownloadListQuery } from '../../domain/management/downloads.ts';
import { logItemSchema, readLogListQuery } from '../../domain/management/logs.ts';
import { dataSchema, pageEnvelope, pageSchema } from '../../domain/management/pages.ts';
import type { RawQuery } from '../../domain/management/params.ts';
import { RUN_FILTERS, readRunListQuery, readRunQuery, runItemSchema } from '../../domain/management/runs.ts';
import { object, optional, str, unparsedObject } from '../../lib/schema.ts';
import type { OpContext } from '../../ops/context.ts';
import { retryRun, stopRun } from '../../ops/management/actions.ts';
import {
  deleteDownload,
  downloadFile,
  getDownload,
  listDownloads,
  queueDownload,
} from '../../ops/management/downloads.ts';
import { getRun, getRunLog, listRunLogs, listRuns } from '../../ops/management/runs.ts';
import { attachment } from '../content-disposition.ts';
import { linkOrigin } from '../link-origin.ts';
import { type FileBody, type RequestInfo, type RouteDef, route } from '../router.ts';

const runPage = pageSchema(runItemSchema);
const oneRun = dataSchema(runItemSchema);
const oneDownload = dataSchema(downloadSchema);

const text = (description: string) => optional(str().describe(description));

const RUN_LIST_DOC = object(
  {
    'filter[flow_id]': text('Flow ids, comma-separated (any of them).'),
    'filter[status]': text(
      'State types in lower case, comma-separated: scheduled, pending, running, completed, failed, cancelled, crashed, paused, cancelling.',
    ),
    'filter[trigger]': text('manual, retry or deployment, comma-separated.'),
    'filter[search]': text("Case-insensitive substring of the run's or its flow's name (at most 200 characters)."),
    'filter[started_after]': text('Runs that started at or after this Unix time in milliseconds.'),
    'filter[started_before]': text('Runs that started before this Unix time in milliseconds.'),
    'filter[started_on]': text('Runs that started on the UTC day containing this Unix time in milliseconds.'),
    'filter[retried]': text('Runs that were (true, 1) or were not (false, 0) retried.'),
    'filter[has_warnings]': text('Runs with (true, 1) or without (false, 0) a log at WARNING level or above.'),
    include: text('flow, flowRunLogs, flowRunLogs.flowStep, errorWarningLogs, retriedFlowRun (comma-separated).'),
    sort: text('started_at or -started_at (the default; runs that never started come last).'),
    page: text('Page number, from 1.'),
    per_page: text('Runs per page, 1 to 100 (25).'),
  },
  { extra: 'ignore' },
);
const LOG_LIST_DOC = object(
  {
    'filter[flow_step_id]': text('Task run ids, comma-separated.'),
    include: text('flowRun, flowStep (comma-separated).'),
    sort: text('timestamp (the default) or -timestamp.'),
    page: text('Page number, from 1.'),
    per_page: text('Logs per page, 1 to 100 (25).'),
  },
  { extra: 'ignore' },
);
const DOWNLOAD_LIST_DOC = object(
  {
    'filter[status]': text('queued, running, completed, failed, expired (comma-separated).'),
    'filter[flow_run_id]': text('One flow run id.'),
    page: text('Page number, from 1.'),
    per_page: text('Downloads per page, 1 to 100 (25).'),
  },
  { extra: 'ignore' },
);
const runListQuery = unparsedObject(RUN_LIST_DOC);
const downloadListQuery = unparsedObject(DOWNLOAD_LIST_DOC);
const logListQuery = unparsedObject(LOG_LIST_DOC);

/** The absolute URL of this workspace's management API root (`…/v1`), by the one link rule. */
function apiBase(ctx: OpContext, req: RequestInfo): string {
  const w = ctx.workspace;
  const root = ctx.family === 'oss' ? '/api' : `/api/accounts/${w.accountId}/workspaces/${w.id}`;
  return `${linkOrigin(ctx.services.config, req)}${root}/v1`;
}

const TAG = 'Flow-run management (/api/v1)';
const CSV_FILE: FileBody = { file: ['text/csv; charset=utf-8'] };

export const managementRoutes: RouteDef[] = [
  route({
    method: 'GET',
    path: '/v1/flow-runs',
    tag: TAG,
    scope: 'read',
    response: runPage,
    summary: `A page of flow runs, newest start first: {data, meta, links}. Filters: ${RUN_FILTERS.join(', ')}.`,
    query: runListQuery,
    async handler(ctx, { query }, req) {
      const r = readRunListQuery(query as RawQuery);
      const base = apiBase(ctx, req);
      const { items, total } = await listRuns(ctx, r, base);
      return pageEnvelope(items, { page: r.page, perPage: r.perPage, total }, `${base}/flow-runs`, query as RawQuery);
    },
  }),
  route({
    method: 'GET',
    path: '/v1/flow-runs/:flow_run',
    tag: TAG,
    scope: 'read',
    response: oneRun,
    summary: "One flow run: {data}. The list's parameters are checked; only include applies.",
    query: runListQuery,
    handler: async (ctx, { params, query }, req) => ({
      data: await getRun(ctx, params.flow_run, readRunQuery(query as RawQuery), apiBase(ctx, req)),
    }),
  }),
  route({
    method: 'GET',
    path: '/v1/flow-runs/:flow_run/flow-run-logs',
    tag: TAG,
    scope: 'read',
    response: pageSchema(logItemSchema),
    summary: "A page of a flow run's logs, by timestamp then insertion: {data, meta, links}.",
    query: logListQuery,
    async handler(ctx, { params, query }, req) {
      const r = readLogListQuery(query as RawQuery);
      const { items, total } = await listRunLogs(ctx, params.flow_run, r);
      const url = `${apiBase(ctx, req)}/flow-runs/${params.flow_run}/flow-run-logs`;
      return pageEnvelope(items, { page: r.page, perPage: r.perPage, total }, url, query as RawQuery);
    },
  }),
  route({
    method: 'GET',
    path: '/v1/flow-runs/:flow_run/flow-run-logs/:flow_run_log',
    tag: TAG,
    scope: 'read',
    response: dataSchema(logItemSchema),
    summary: "One log of a flow run: {data}. The list's parameters are checked; only include applies.",
    query: logListQuery,
    handler: async (ctx, { params, query }) => ({
      data: await getRunLog(ctx, params.flow_run, params.flow_run_log, readLogListQuery(query as RawQuery).include),
    }),
  }),
  route({
    method: 'POST',
    path: '/v1/flow-runs/:flow_run/retry',
    tag: TAG,
    scope: 'write',
    response: oneRun,
    errors: [409],
    summary:
      'Retry a finished run: a new top-level run of the same flow with the same parameters, tags and labels, SCHEDULED now, for an executor to pick up (Sightline runs no flows). Idempotency-Key makes a repeat return the same run.',
    async handler(ctx, { params }, req) {
      const key = req.headers['idempotency-key'];
      const idempotencyKey = Array.isArray(key) ? key[key.length - 1] : key;
      return { data: await retryRun(ctx, params.flow_run, idempotencyKey, apiBase(ctx, req)) };
    },
  }),
  route({
    method: 'POST',
    path: '/v1/flow-runs/:flow_run/stop',
    tag: TAG,
    scope: 'write',
    response: oneRun,
    errors: [409],
    summary:
      'Stop a run: SCHEDULED, PENDING and PAUSED runs are CANCELLED at once, a RUNNING one becomes CANCELLING (its client is told to abort), non-terminal subflows are stopped too.',
    handler: async (ctx, { params }, req) => ({ data: await stopRun(ctx, params.flow_run, apiBase(ctx, req)) }),
  }),
  route({
    method: 'GET',
    path: '/v1/flow-runs/:flow_run/download',
    tag: TAG,
    scope: 'read',
    response: oneDownload,
    summary:
      "Queue a CSV file of the run's logs (those stored now): {data: job}. A run's unfinished job is reused; its file appears under /v1/file-downloads. More than 20 unfinished jobs in a workspace → 429.",
    handler: async (ctx, { params }, req) => ({ data: await queueDownload(ctx, params.flow_run, apiBase(ctx, req)) }),
  }),
  route({
    method: 'GET',
    path: '/v1/file-downloads',
    tag: TAG,
    scope: 'read',
    response: pageSchema(downloadSchema),
    summary: 'Queued and finished log downloads, newest first: {data, meta, links}.',
    query: downloadListQuery,
    async handler(ctx, { query }, req) {
      const r = readDownloadListQuery(query as RawQuery);
      const base = apiBase(ctx, req);
      const { items, total } = await listDownloads(ctx, r, base);
      return pageEnvelope(
        items,
        { page: r.page, perPage: r.perPage, total },
        `${base}/file-downloads`,
        query as RawQuery,
      );
    },
  }),
  route({
    method: 'GET',
    path: '/v1/file-downloads/:download',
    tag: TAG,
    scope: 'read',
    response: oneDownload,
    summary: 'One log download: {data: job}.',
    handler: async (ctx, { params }, req) => ({ data: await getDownload(ctx, params.download, apiBase(ctx, req)) }),
  }),
  route({
    method: 'GET',
    path: '/v1/file-downloads/:download/file',
    tag: TAG,
    scope: 'read',
    response: CSV_FILE,
    errors: [409, 410],
    summary:
      "The download's file, streamed (CSV, named after the run). Not finished yet → 409 with Retry-After: 1; expired or failed → 410.",
    async handler(ctx, { params }, _req, reply) {
      const file = await downloadFile(ctx, params.download);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', attachment(file.name))
        .send(Readable.from(file.chunks, { objectMode: false }));
    },
  }),
  route({
    method: 'DELETE',
    path: '/v1/file-downloads/:download',
    tag: TAG,
    scope: 'write',
    status: 204,
    response: null,
    summary: 'Delete a log download and its file.',
    async handler(ctx, { params }, _req, reply) {
      await deleteDownload(ctx, params.download);
      return reply.code(204).send();
    },
  }),
];
