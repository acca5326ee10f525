/**
 * The routes Prefect's own web UI calls beyond the run CRUD (reference `prefect-ui-calls/`):
 * server settings, paginated lists, run history, the run graph, the `/ui/...` counts — and the
 * lists of objects Sightline does not have, answered empty so the UI's pages render.
 */

import { flowRunSchema, renderFlowRun } from '../../domain/runs/flow-runs.ts';
import { flowSchema, renderFlow } from '../../domain/runs/flows.ts';
import { graphSchema } from '../../domain/runs/graph.ts';
import { historyBodySchema, historySchema, renderHistory } from '../../domain/runs/history.ts';
import { renderTaskRun, taskRunFields, taskRunSchema } from '../../domain/runs/task-runs.ts';
import {
  flowIdsBodySchema,
  flowRunIdsBodySchema,
  nextFlowRunSchema,
  renderNextFlowRun,
  renderSimpleFlowRun,
  simpleFlowRunSchema,
} from '../../domain/runs/ui-views.ts';
import { datetime, nowMicros } from '../../domain/time.ts';
import { array, int, named, object, optional, orNull, record, type Schema, str } from '../../lib/schema.ts';
import {
  dashboardCountsBodySchema,
  filtersOf,
  flowPaginateBodySchema,
  flowRunPaginateBodySchema,
  paginateBodySchema,
  paginated,
  paginatedSchema,
  taskRunCountBodySchema,
  taskRunPaginateBodySchema,
  uiFlowRunHistoryBodySchema,
} from '../../ops/runs/bodies.ts';
import { countFlowRuns, filterFlowRuns } from '../../ops/runs/flow-runs.ts';
import { countFlows, filterFlows } from '../../ops/runs/flows.ts';
import { flowRunGraph } from '../../ops/runs/graph.ts';
import {
  countsByKeySchema,
  countTaskRunsByFlowRun,
  dashboardCountsSchema,
  dashboardTaskRunCounts,
  nextRunsByFlow,
  runHistory,
  taskRunCountsByState,
  taskRunWithFlowRunName,
} from '../../ops/runs/prefect-ui.ts';
import { countTaskRuns, filterTaskRuns } from '../../ops/runs/task-runs.ts';
import { type Responses, type RouteDef, route } from '../router.ts';
import { readRoute } from './read-route.ts';
import { serverSettings, serverSettingsSchema } from './server-settings.ts';

const post = <B>(
  path: string,
  tag: string,
  summary: string,
  body: RouteDef<undefined, B>['body'],
  response: Responses,
  handler: RouteDef<undefined, B>['handler'],
) =>
  route<undefined, B>({
    method: 'POST',
    path,
    tag,
    scope: 'read',
    summary,
    body,
    bodyOptional: true,
    response,
    handler,
  });

/** `/paginate` of a run resource: one page of `/filter` with the total count. */
function paginateRoute<B extends { limit: number; page: number }>(
  path: string,
  tag: string,
  body: RouteDef<undefined, B>['body'],
  item: Schema<unknown>,
  read: (ctx: Parameters<RouteDef['handler']>[0], body: B & { offset: number }) => Promise<unknown[]>,
  count: (ctx: Parameters<RouteDef['handler']>[0], body: B) => Promise<number>,
): RouteDef<undefined, B> {
  return post(
    path,
    tag,
    `A page of ${tag.toLowerCase()} ({results, count, limit, pages, page}); same filters and sorts as /filter.`,
    body,
    paginatedSchema(item),
    async (ctx, { body: b }) => {
      const [results, total] = await Promise.all([read(ctx, { ...b, offset: (b.page - 1) * b.limit }), count(ctx, b)]);
      return paginated(results, total, b);
    },
  );
}

/** `UITaskRun`: a task run with its flow run's name. */
const uiTaskRunSchema = named('UITaskRun', object({ ...taskRunFields, flow_run_name: orNull(str()) }));

const sinceQuerySchema = object({ since: optional(datetime()) }, { extra: 'ignore' });

export const prefectUiRoutes: RouteDef[] = [
  route({
    method: 'GET',
    path: '/admin/settings',
    tag: 'Admin',
    scope: 'read',
    summary: "The server's settings in Prefect's shape, nothing secret; promotional content and analytics off.",
    response: serverSettingsSchema,
    handler: (ctx, _input, req) => serverSettings(ctx.services.config, req),
  }),
  paginateRoute(
    '/flow_runs/paginate',
    'Flow Runs',
    flowRunPaginateBodySchema,
    flowRunSchema,
    async (ctx, b) => {
      const now = nowMicros();
      return (await filterFlowRuns(ctx, b)).map((r) => renderFlowRun(r, now));
    },
    countFlowRuns,
  ),
  paginateRoute(
    '/task_runs/paginate',
    'Task Runs',
    taskRunPaginateBodySchema,
    taskRunSchema,
    async (ctx, b) => {
      const now = nowMicros();
      return (await filterTaskRuns(ctx, b)).map((r) => renderTaskRun(r, now));
    },
    countTaskRuns,
  ),
  paginateRoute(
    '/flows/paginate',
    'Flows',
    flowPaginateBodySchema,
    flowSchema,
    async (ctx, b) => (await filterFlows(ctx, b)).map(renderFlow),
    countFlows,
  ),
  post(
    '/flow_runs/history',
    'Flow Runs',
    'Flow runs counted per interval of their expected start and per state (at most 500 intervals).',
    historyBodySchema,
    array(historySchema),
    async (ctx, { body }) => {
      const { query, rows } = await runHistory(ctx, 'flow', body);
      return renderHistory(query, rows);
    },
  ),
  post(
    '/task_runs/history',
    'Task Runs',
    'Task runs counted per interval of their expected start and per state (at most 500 intervals).',
    historyBodySchema,
    array(historySchema),
    async (ctx, { body }) => {
      const { query, rows } = await runHistory(ctx, 'task', body);
      return renderHistory(query, rows);
    },
  ),
  {
    ...readRoute(
      'Flow Runs',
      '/flow_runs/:id/graph-v2',
      "The run's graph: task runs and subflows as nodes, edges from task inputs, states and artifacts; ?since= for what changed after. 400 past 10,000 nodes.",
      graphSchema,
      (ctx, { params, query }) => flowRunGraph(ctx, params.id, query.since ?? 0),
      sinceQuerySchema,
    ),
    errors: [400],
  },
  post(
    '/ui/flow_runs/history',
    'UI',
    'Flow runs as {id, state_type, timestamp, duration, lateness}, up to 1,000 a page.',
    uiFlowRunHistoryBodySchema,
    array(simpleFlowRunSchema),
    async (ctx, { body }) => {
      const now = nowMicros();
      return (await filterFlowRuns(ctx, body)).map((r) => renderSimpleFlowRun(r, now));
    },
  ),
  post(
    '/ui/flow_runs/count-task-runs',
    'UI',
    'Task runs of each flow run (up to 200 ids), not counting subflow runs.',
    flowRunIdsBodySchema,
    countsByKeySchema,
    (ctx, { body }) => countTaskRunsByFlowRun(ctx, body.flow_run_ids),
  ),
  readRoute(
    'UI',
    '/ui/task_runs/:id',
    "A task run with its flow run's name.",
    uiTaskRunSchema,
    async (ctx, { params }) => {
      const { run, flowRunName } = await taskRunWithFlowRunName(ctx, params.id);
      return { ...renderTaskRun(run, nowMicros()), flow_run_name: flowRunName };
    },
  ),
  post(
    '/ui/task_runs/dashboard/counts',
    'UI',
    'Finished task runs started in the window (task_runs.start_time.after_ required), in 20 buckets of {completed, failed}.',
    dashboardCountsBodySchema,
    dashboardCountsSchema,
    (ctx, { body }) => dashboardTaskRunCounts(ctx, { ...filtersOf(body), work_pool_queues: body.work_queues }),
  ),
  post(
    '/ui/task_runs/count',
    'UI',
    'Task runs per state type (every type, 0 when none).',
    taskRunCountBodySchema,
    countsByKeySchema,
    (ctx, { body }) => taskRunCountsByState(ctx, filtersOf(body)),
  ),
  post(
    '/ui/flows/count-deployments',
    'UI',
    'Deployments of each flow (up to 200 ids): always 0, Sightline has no deployments.',
    flowIdsBodySchema,
    countsByKeySchema,
    (_ctx, { body }) => Object.fromEntries(body.flow_ids.map((id) => [id, 0])),
  ),
  post(
    '/ui/flows/next-runs',
    'UI',
    "Each flow's SCHEDULED run due first (up to 200 ids), or null.",
    flowIdsBodySchema,
    record(orNull(nextFlowRunSchema)),
    async (ctx, { body }) => {
      const next = await nextRunsByFlow(ctx, body.flow_ids);
      return Object.fromEntries(Object.entries(next).map(([id, r]) => [id, r && renderNextFlowRun(r)]));
    },
  ),
  ...emptyResources(),
];

/**
 * Objects Sightline does not have: their lists answer empty and their counts 0 so Prefect's pages
 * render (docs/compat.md). Bodies must still be JSON objects.
 */
function emptyResources(): RouteDef[] {
  const any = object({}, { extra: 'ignore' });
  const nothing = array(object({}), { max: 0 });
  const lists: [string, string, ('count' | 'paginate')[]][] = [
    ['/deployments', 'Deployments', ['count', 'paginate']],
    ['/work_pools', 'Work Pools', ['count', 'paginate']],
    ['/work_queues', 'Work Queues', ['count', 'paginate']],
    ['/automations', 'Automations', ['count']],
    ['/block_documents', 'Block documents', ['count']],
    ['/saved_searches', 'SavedSearches', []],
    ['/variables', 'Variables', ['count']],
    ['/concurrency_limits', 'Concurrency Limits', []],
    ['/v2/concurrency_limits', 'Concurrency Limits V2', []],
  ];
  return lists.flatMap(([base, tag, extra]) => [
    post(`${base}/filter`, tag, `Always empty: Sightline has no ${tag.toLowerCase()}.`, any, nothing, () => []),
    ...(extra.includes('count')
      ? [post(`${base}/count`, tag, `Always 0: Sightline has no ${tag.toLowerCase()}.`, any, int({ max: 0 }), () => 0)]
      : []),
    ...(extra.includes('paginate')
      ? [
          post(
            `${base}/paginate`,
            tag,
            `Always an empty page: Sightline has no ${tag.toLowerCase()}.`,
            paginateBodySchema,
            paginatedSchema(object({})),
            (_c, { body }) => paginated([], 0, body),
          ),
        ]
      : []),
  ]);
}
