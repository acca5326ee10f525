/** Flow-run routes (reference §7.5–7.7, 7.10). */
import {
  flowRunCreateSchema,
  flowRunLabelsSchema,
  flowRunUpdateSchema,
  renderFlowRun,
  setStateBodySchema,
} from '../../domain/runs/flow-runs.ts';
import { renderState } from '../../domain/runs/states.ts';
import { object, parseOrThrow, uuid } from '../../domain/schema.ts';
import { nowMicros } from '../../domain/time.ts';
import { flowRunCountBody, flowRunFilterBody } from '../../ops/runs/bodies.ts';
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
import { setFlowRunState } from '../../ops/runs/set-state.ts';
import { type RouteDef, uuidParam } from '../router.ts';

const statesQuery = object({ flow_run_id: uuid() }, { extra: 'ignore' });

export const flowRunRoutes: RouteDef[] = [
  {
    method: 'POST',
    path: '/flow_runs/',
    tag: 'Flow Runs',
    summary:
      'Create a flow run (initial state default PENDING): 201; 200 with the existing run for a repeated idempotency_key.',
    body: flowRunCreateSchema,
    async handler(ctx, req, reply) {
      const { run, created } = await createFlowRun(ctx, parseOrThrow(flowRunCreateSchema, req.body, ['body']));
      return reply.code(created ? 201 : 200).send(renderFlowRun(run, nowMicros()));
    },
  },
  {
    method: 'POST',
    path: '/flow_runs/filter',
    tag: 'Flow Runs',
    summary: 'Flow runs matching the filters, sorted by FlowRunSort (default ID_DESC); limit ≤ 200.',
    body: flowRunFilterBody,
    async handler(ctx, req) {
      const rows = await filterFlowRuns(ctx, parseOrThrow(flowRunFilterBody, req.body ?? {}, ['body']));
      const now = nowMicros();
      return rows.map((r) => renderFlowRun(r, now));
    },
  },
  {
    method: 'POST',
    path: '/flow_runs/count',
    tag: 'Flow Runs',
    summary: 'Number of flow runs matching the filters.',
    body: flowRunCountBody,
    async handler(ctx, req) {
      return countFlowRuns(ctx, parseOrThrow(flowRunCountBody, req.body ?? {}, ['body']));
    },
  },
  {
    method: 'GET',
    path: '/flow_runs/:id',
    tag: 'Flow Runs',
    summary: 'Read a flow run.',
    async handler(ctx, req) {
      return renderFlowRun(await readFlowRun(ctx, uuidParam(req, 'id')), nowMicros());
    },
  },
  {
    method: 'PATCH',
    path: '/flow_runs/:id',
    tag: 'Flow Runs',
    summary: 'Update a flow run (FlowRunUpdate): 204.',
    body: flowRunUpdateSchema,
    async handler(ctx, req, reply) {
      const id = uuidParam(req, 'id');
      await updateFlowRun(ctx, id, parseOrThrow(flowRunUpdateSchema, req.body ?? {}, ['body']));
      return reply.code(204).send();
    },
  },
  {
    method: 'DELETE',
    path: '/flow_runs/:id',
    tag: 'Flow Runs',
    summary: 'Delete a flow run with its logs, task runs, states and artifacts (events are kept): 204.',
    async handler(ctx, req, reply) {
      await deleteFlowRun(ctx, uuidParam(req, 'id'));
      return reply.code(204).send();
    },
  },
  {
    method: 'PATCH',
    path: '/flow_runs/:id/labels',
    tag: 'Flow Runs',
    summary: 'Merge labels (the bare labels object) into a flow run: 204.',
    body: flowRunLabelsSchema,
    async handler(ctx, req, reply) {
      const id = uuidParam(req, 'id');
      await mergeFlowRunLabels(ctx, id, parseOrThrow(flowRunLabelsSchema, req.body, ['body']));
      return reply.code(204).send();
    },
  },
  {
    method: 'POST',
    path: '/flow_runs/:id/set_state',
    tag: 'Flow Runs',
    summary:
      'Propose a state: OrchestrationResult (ACCEPT, REJECT, ABORT, WAIT); 201 when a new state was written, else 200.',
    body: setStateBodySchema,
    async handler(ctx, req, reply) {
      const id = uuidParam(req, 'id');
      const body = parseOrThrow(setStateBodySchema, req.body, ['body']);
      const r = await setFlowRunState(ctx, id, body);
      return reply.code(r.httpStatus).send(r.body);
    },
  },
  {
    method: 'GET',
    path: '/flow_run_states/',
    tag: 'Flow Run States',
    summary: 'The state history of a flow run (?flow_run_id=), oldest first.',
    query: statesQuery,
    async handler(ctx, req) {
      const q = parseOrThrow(statesQuery, req.query ?? {}, ['query']);
      return (await flowRunStates(ctx, q.flow_run_id)).map(renderState);
    },
  },
  {
    method: 'GET',
    path: '/flow_run_states/:id',
    tag: 'Flow Run States',
    summary: 'Read one flow-run state.',
    async handler(ctx, req) {
      return renderState(await readFlowRunState(ctx, uuidParam(req, 'id')));
    },
  },
];
