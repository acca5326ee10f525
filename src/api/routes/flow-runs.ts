/** Flow-run routes (reference §7.5–7.7, 7.10). */

import { uuid } from '../../domain/ids.ts';
import {
  flowRunCreateSchema,
  flowRunLabelsSchema,
  flowRunSchema,
  flowRunUpdateSchema,
  renderFlowRun,
  setStateBodySchema,
} from '../../domain/runs/flow-runs.ts';
import { renderState, stateSchema } from '../../domain/runs/states.ts';
import { nowMicros } from '../../domain/time.ts';
import { array, object } from '../../lib/schema.ts';
import { flowRunCountBodySchema, flowRunFilterBodySchema } from '../../ops/runs/bodies.ts';
import {
  countFlowRuns,
  createFlowRun,
  deleteFlowRun,
  filterFlowRuns,
  flowRunStates,
  mergeFlowRunLabels,
  readFlowRun,
  readFlowRunState,
  updateFlowRun,
} from '../../ops/runs/flow-runs.ts';
import { orchestrationResultSchema } from '../../ops/runs/orchestration-result.ts';
import { setFlowRunState } from '../../ops/runs/set-state.ts';
import { type RouteDef, route } from '../router.ts';
import { filterAndCountRoutes } from './filter-routes.ts';
import { readRoute } from './read-route.ts';

const statesQuerySchema = object({ flow_run_id: uuid() }, { extra: 'ignore' });

export const flowRunRoutes: RouteDef[] = [
  route({
    method: 'POST',
    path: '/flow_runs/',
    tag: 'Flow Runs',
    scope: 'write',
    summary:
      'Create a flow run (initial state default PENDING): 201; 200 with the existing run for a repeated idempotency_key.',
    body: flowRunCreateSchema,
    response: { 200: flowRunSchema, 201: flowRunSchema },
    async handler(ctx, { body }, _req, reply) {
      const { run, created } = await createFlowRun(ctx, body);
      return reply.code(created ? 201 : 200).send(renderFlowRun(run, nowMicros()));
    },
  }),
  ...filterAndCountRoutes(
    '/flow_runs',
    'Flow Runs',
    {
      summary: 'Flow runs matching the filters, sorted by FlowRunSort (default ID_DESC); limit ≤ 200.',
      body: flowRunFilterBodySchema,
      item: flowRunSchema,
      run: async (ctx, body) => {
        const rows = await filterFlowRuns(ctx, body);
        const now = nowMicros();
        return rows.map((r) => renderFlowRun(r, now));
      },
    },
    { body: flowRunCountBodySchema, run: countFlowRuns },
  ),
  readRoute('Flow Runs', '/flow_runs/:id', 'Read a flow run.', flowRunSchema, async (ctx, { params }) =>
    renderFlowRun(await readFlowRun(ctx, params.id), nowMicros()),
  ),
  route({
    method: 'PATCH',
    path: '/flow_runs/:id',
    tag: 'Flow Runs',
    scope: 'write',
    summary: 'Update a flow run (FlowRunUpdate): 204.',
    body: flowRunUpdateSchema,
    bodyOptional: true,
    status: 204,
    response: null,
    handler: (ctx, { params, body }) => updateFlowRun(ctx, params.id, body),
  }),
  route({
    method: 'DELETE',
    path: '/flow_runs/:id',
    tag: 'Flow Runs',
    scope: 'write',
    summary: 'Delete a flow run with its logs, task runs, states and artifacts (events are kept): 204.',
    status: 204,
    response: null,
    handler: (ctx, { params }) => deleteFlowRun(ctx, params.id),
  }),
  route({
    method: 'PATCH',
    path: '/flow_runs/:id/labels',
    tag: 'Flow Runs',
    scope: 'write',
    summary: 'Merge labels (the bare labels object) into a flow run: 204.',
    body: flowRunLabelsSchema,
    status: 204,
    response: null,
    handler: (ctx, { params, body }) => mergeFlowRunLabels(ctx, params.id, body),
  }),
  route({
    method: 'POST',
    path: '/flow_runs/:id/set_state',
    tag: 'Flow Runs',
    scope: 'write',
    summary:
      'Propose a state: OrchestrationResult (ACCEPT, REJECT, ABORT, WAIT); 201 when a new state was written, else 200.',
    body: setStateBodySchema,
    response: { 200: orchestrationResultSchema, 201: orchestrationResultSchema },
    async handler(ctx, { params, body }, _req, reply) {
      const r = await setFlowRunState(ctx, params.id, body);
      return reply.code(r.httpStatus).send(r.body);
    },
  }),
  readRoute(
    'Flow Run States',
    '/flow_run_states/',
    'The state history of a flow run (?flow_run_id=), oldest first.',
    array(stateSchema),
    async (ctx, { query }) => (await flowRunStates(ctx, query.flow_run_id)).map(renderState),
    statesQuerySchema,
  ),
  readRoute(
    'Flow Run States',
    '/flow_run_states/:id',
    'Read one flow-run state.',
    stateSchema,
    async (ctx, { params }) => renderState(await readFlowRunState(ctx, params.id)),
  ),
];
