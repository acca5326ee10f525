/** Task-run routes (reference §7.7, 7.10). */

import { setStateBodySchema } from '../../domain/runs/flow-runs.ts';
import { renderState } from '../../domain/runs/states.ts';
import { renderTaskRun, taskRunCreateSchema, taskRunUpdateSchema } from '../../domain/runs/task-runs.ts';
import { object, parseOrThrow, uuid } from '../../domain/schema.ts';
import { nowMicros } from '../../domain/time.ts';
import { taskRunCountBody, taskRunFilterBody } from '../../ops/runs/bodies.ts';
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
import { type RouteDef, uuidParam } from '../router.ts';

const statesQuery = object({ task_run_id: uuid() }, { extra: 'ignore' });

export const taskRunRoutes: RouteDef[] = [
  {
    method: 'POST',
    path: '/task_runs/',
    tag: 'Task Runs',
    summary: 'Get or create a task run on (flow_run_id, task_key, dynamic_key): 201 new, 200 existing.',
    body: taskRunCreateSchema,
    async handler(ctx, req, reply) {
      const { run, created } = await createTaskRun(ctx, parseOrThrow(taskRunCreateSchema, req.body, ['body']));
      return reply.code(created ? 201 : 200).send(renderTaskRun(run, nowMicros()));
    },
  },
  {
    method: 'POST',
    path: '/task_runs/filter',
    tag: 'Task Runs',
    summary: 'Task runs matching the filters, sorted by TaskRunSort (default ID_DESC); limit ≤ 200.',
    body: taskRunFilterBody('oss'),
    async handler(ctx, req) {
      const rows = await filterTaskRuns(ctx, parseOrThrow(taskRunFilterBody(ctx.family), req.body ?? {}, ['body']));
      const now = nowMicros();
      return rows.map((r) => renderTaskRun(r, now));
    },
  },
  {
    method: 'POST',
    path: '/task_runs/count',
    tag: 'Task Runs',
    summary: 'Number of task runs matching the filters.',
    body: taskRunCountBody,
    async handler(ctx, req) {
      return countTaskRuns(ctx, parseOrThrow(taskRunCountBody, req.body ?? {}, ['body']));
    },
  },
  {
    method: 'GET',
    path: '/task_runs/:id',
    tag: 'Task Runs',
    summary: 'Read a task run.',
    async handler(ctx, req) {
      return renderTaskRun(await readTaskRun(ctx, uuidParam(req, 'id')), nowMicros());
    },
  },
  {
    method: 'PATCH',
    path: '/task_runs/:id',
    tag: 'Task Runs',
    summary: 'Rename a task run (TaskRunUpdate): 204.',
    body: taskRunUpdateSchema,
    async handler(ctx, req, reply) {
      const id = uuidParam(req, 'id');
      await renameTaskRun(ctx, id, parseOrThrow(taskRunUpdateSchema, req.body ?? {}, ['body']).name);
      return reply.code(204).send();
    },
  },
  {
    method: 'DELETE',
    path: '/task_runs/:id',
    tag: 'Task Runs',
    summary: 'Delete a task run with its logs, states and artifacts: 204.',
    async handler(ctx, req, reply) {
      await deleteTaskRun(ctx, uuidParam(req, 'id'));
      return reply.code(204).send();
    },
  },
  {
    method: 'POST',
    path: '/task_runs/:id/set_state',
    tag: 'Task Runs',
    summary: 'Propose a task-run state (same contract as flow runs; no event is emitted).',
    body: setStateBodySchema,
    async handler(ctx, req, reply) {
      const id = uuidParam(req, 'id');
      const r = await setTaskRunState(ctx, id, parseOrThrow(setStateBodySchema, req.body, ['body']));
      return reply.code(r.httpStatus).send(r.body);
    },
  },
  {
    method: 'GET',
    path: '/task_run_states/',
    tag: 'Task Run States',
    summary: 'The state history of a task run (?task_run_id=), oldest first.',
    query: statesQuery,
    async handler(ctx, req) {
      const q = parseOrThrow(statesQuery, req.query ?? {}, ['query']);
      return (await taskRunStates(ctx, q.task_run_id)).map(renderState);
    },
  },
  {
    method: 'GET',
    path: '/task_run_states/:id',
    tag: 'Task Run States',
    summary: 'Read one task-run state.',
    async handler(ctx, req) {
      return renderState(await readTaskRunState(ctx, uuidParam(req, 'id')));
    },
  },
];
