/** Task-run routes (reference §7.7, 7.10). */

import { uuid } from '../../domain/ids.ts';
import { setStateBodySchema } from '../../domain/runs/flow-runs.ts';
import { renderState, stateSchema } from '../../domain/runs/states.ts';
import { renderTaskRun, taskRunCreateSchema, taskRunSchema, taskRunUpdateSchema } from '../../domain/runs/task-runs.ts';
import { nowMicros } from '../../domain/time.ts';
import { array, object } from '../../lib/schema.ts';
import { taskRunCountBodySchema, taskRunFilterBodySchema } from '../../ops/runs/bodies.ts';
import { orchestrationResultSchema } from '../../ops/runs/orchestration-result.ts';
import { setTaskRunState } from '../../ops/runs/set-state.ts';
import {
  countTaskRuns,
  createTaskRun,
  deleteTaskRun,
  filterTaskRuns,
  readTaskRun,
  readTaskRunState,
  renameTaskRun,
  taskRunStates,
} from '../../ops/runs/task-runs.ts';
import { type RouteDef, route } from '../router.ts';
import { filterAndCountRoutes } from './filter-routes.ts';
import { readRoute } from './read-route.ts';

const statesQuerySchema = object({ task_run_id: uuid() }, { extra: 'ignore' });

export const taskRunRoutes: RouteDef[] = [
  route({
    method: 'POST',
    path: '/task_runs/',
    tag: 'Task Runs',
    scope: 'write',
    summary: 'Get or create a task run on (flow_run_id, task_key, dynamic_key): 201 new, 200 existing.',
    body: taskRunCreateSchema,
    response: { 200: taskRunSchema, 201: taskRunSchema },
    async handler(ctx, { body }, _req, reply) {
      const { run, created } = await createTaskRun(ctx, body);
      return reply.code(created ? 201 : 200).send(renderTaskRun(run, nowMicros()));
    },
  }),
  ...filterAndCountRoutes(
    '/task_runs',
    'Task Runs',
    {
      summary: 'Task runs matching the filters, sorted by TaskRunSort (default ID_DESC); limit ≤ 200.',
      body: taskRunFilterBodySchema,
      item: taskRunSchema,
      run: async (ctx, body) => {
        const rows = await filterTaskRuns(ctx, body);
        const now = nowMicros();
        return rows.map((r) => renderTaskRun(r, now));
      },
    },
    { body: taskRunCountBodySchema, run: countTaskRuns },
  ),
  readRoute('Task Runs', '/task_runs/:id', 'Read a task run.', taskRunSchema, async (ctx, { params }) =>
    renderTaskRun(await readTaskRun(ctx, params.id), nowMicros()),
  ),
  route({
    method: 'PATCH',
    path: '/task_runs/:id',
    tag: 'Task Runs',
    scope: 'write',
    summary: 'Rename a task run (TaskRunUpdate): 204.',
    body: taskRunUpdateSchema,
    bodyOptional: true,
    status: 204,
    response: null,
    handler: (ctx, { params, body }) => renameTaskRun(ctx, params.id, body.name),
  }),
  route({
    method: 'DELETE',
    path: '/task_runs/:id',
    tag: 'Task Runs',
    scope: 'write',
    summary: 'Delete a task run with its logs, states and artifacts: 204.',
    status: 204,
    response: null,
    handler: (ctx, { params }) => deleteTaskRun(ctx, params.id),
  }),
  route({
    method: 'POST',
    path: '/task_runs/:id/set_state',
    tag: 'Task Runs',
    scope: 'write',
    summary: 'Propose a task-run state (same contract as flow runs; no event is emitted).',
    body: setStateBodySchema,
    response: { 200: orchestrationResultSchema, 201: orchestrationResultSchema },
    async handler(ctx, { params, body }, _req, reply) {
      const r = await setTaskRunState(ctx, params.id, body);
      return reply.code(r.httpStatus).send(r.body);
    },
  }),
  readRoute(
    'Task Run States',
    '/task_run_states/',
    'The state history of a task run (?task_run_id=), oldest first.',
    array(stateSchema),
    async (ctx, { query }) => (await taskRunStates(ctx, query.task_run_id)).map(renderState),
    statesQuerySchema,
  ),
  readRoute(
    'Task Run States',
    '/task_run_states/:id',
    'Read one task-run state.',
    stateSchema,
    async (ctx, { params }) => renderState(await readTaskRunState(ctx, params.id)),
  ),
];
