/**
 * Routes only Sightline's web UI needs, under `/sightline/…` on both path families: internal (the
 * UI and these routes change together), behind the same keys and scopes as the rest of the API.
 */
import { logSchema, renderLog } from '../../domain/logs.ts';
import {
  logCountsBodySchema,
  logHistogramBodySchema,
  logPositionBodySchema,
  runLogPageBodySchema,
} from '../../domain/run-log-views.ts';
import { renderStateChanges, stateChangesBodySchema, stateChangesSchema } from '../../domain/spans/state-changes.ts';
import { array, bool, literal, object, optional, record, str } from '../../lib/schema.ts';
import { exportFormatSchema } from '../../ops/logs/export-logs.ts';
import {
  downloadLinkSchema,
  openDownloadLink,
  runLogCounts,
  runLogCountsSchema,
  runLogHistogram,
  runLogHistogramSchema,
  runLogPage,
  runLogPosition,
  runLogPositionSchema,
  signDownloadLink,
} from '../../ops/ui/run-logs.ts';
import { spanStateChanges } from '../../ops/ui/span-state-changes.ts';
import { callerOf } from '../access.ts';
import { type FixedRouteDef, fixedRoute, type RouteDef, route } from '../router.ts';
import { LOG_FILE, sendLogFile } from './flow-run-logs.ts';

const TAG = 'Sightline UI (internal)';

const linkBodySchema = object({ format: optional(exportFormatSchema, () => 'csv' as const) });

/** Outside the workspace paths: the token names the workspace (nothing to probe with it). */
export const DOWNLOAD_URL = '/api/sightline/log-downloads';

export const sightlineUiFixedRoutes: FixedRouteDef[] = [
  fixedRoute({
    method: 'GET',
    url: '/api/sightline/me',
    tag: TAG,
    scope: 'read',
    summary:
      "What the caller may do: `{auth, scope}` — the key's scope under --auth; without it, every request may do everything (`admin`).",
    response: object({ auth: bool(), scope: literal(['read', 'write', 'admin']) }),
    handler: async (services, _input, req) => {
      const caller = callerOf(req);
      return { auth: services.config.auth, scope: caller?.key.scope ?? 'admin' };
    },
  }),
  fixedRoute({
    method: 'GET',
    url: `${DOWNLOAD_URL}/:token`,
    tag: TAG,
    scope: 'read',
    summary:
      'The download a signed link names: no key needed, the link is the credential for five minutes (403 when it is not valid).',
    params: { token: str({ max: 2000 }) },
    response: LOG_FILE,
    handler: async (services, { params }, _req, reply) => {
      const { ctx, runId, format } = await openDownloadLink(services, params.token);
      return sendLogFile(ctx, runId, format, reply);
    },
  }),
];

export const sightlineUiRoutes: RouteDef[] = [
  route({
    method: 'POST',
    path: '/sightline/flow_runs/:id/download-link',
    tag: TAG,
    scope: 'read',
    summary:
      "A link that downloads the run's logs (CSV or text) without a key for five minutes: `{url, expires}`, the URL relative to this server.",
    body: linkBodySchema,
    bodyOptional: true,
    response: downloadLinkSchema,
    handler: (ctx, { params, body }) => {
      const { token, expires } = signDownloadLink(ctx, params.id, body.format);
      return { url: `${DOWNLOAD_URL}/${token}`, expires };
    },
  }),
  route({
    method: 'POST',
    path: '/sightline/flow_runs/log-counts',
    tag: TAG,
    scope: 'read',
    summary: 'Logs, warnings (30–39) and errors (≥ 40) of each flow run (≤ 200 ids), from the counters kept at ingest.',
    body: logCountsBodySchema,
    response: runLogCountsSchema,
    handler: (ctx, { body }) => runLogCounts(ctx, body.flow_run_ids),
  }),
  route({
    method: 'POST',
    path: '/sightline/flow_runs/:id/logs',
    tag: TAG,
    scope: 'read',
    summary:
      "A page of the run's logs matching the filter (level, loggers, task runs, text), at any offset: the viewer's scrollbar spans the whole run.",
    body: runLogPageBodySchema,
    bodyOptional: true,
    response: array(logSchema),
    handler: async (ctx, { params, body }) => (await runLogPage(ctx, params.id, body)).map(renderLog),
  }),
  route({
    method: 'POST',
    path: '/sightline/flow_runs/:id/log-histogram',
    tag: TAG,
    scope: 'read',
    summary:
      "The run's logs matching the filter (level, loggers, task runs) in equal time buckets from its first to its last log, counted per level class.",
    body: logHistogramBodySchema,
    bodyOptional: true,
    response: runLogHistogramSchema,
    handler: (ctx, { params, body }) => runLogHistogram(ctx, params.id, body.logs, body.buckets),
  }),
  route({
    method: 'POST',
    path: '/sightline/flow_runs/:id/log-position',
    tag: TAG,
    scope: 'read',
    summary:
      "How many of the run's logs matching the filter come before a log's timestamp in the sort order: the offset to read it from.",
    body: logPositionBodySchema,
    response: runLogPositionSchema,
    handler: (ctx, { params, body }) => runLogPosition(ctx, params.id, body.log_id, body.logs, body.sort),
  }),
  route({
    method: 'POST',
    path: '/sightline/traces/:trace_id/state-changes',
    tag: TAG,
    scope: 'read',
    summary:
      "The waterfall's state markers: for each span named (≤ 200) that is a flow or task run of the trace, `{states: [{type, name, timestamp}], total}` — its latest 50 states, oldest first, and how many it has.",
    body: stateChangesBodySchema,
    response: record(stateChangesSchema),
    handler: async (ctx, { params, body }) =>
      Object.fromEntries(
        [...(await spanStateChanges(ctx, params.trace_id, body.span_ids))].map(([id, c]) => [
          id,
          renderStateChanges(c),
        ]),
      ),
  }),
];
