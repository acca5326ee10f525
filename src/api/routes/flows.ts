/** Flow routes: `POST /flows/` (get-or-create), `GET /flows/{id}`, `POST /flows/filter`, `POST /flows/count`. */
import { flowCreateSchema, renderFlow } from '../../domain/runs/flows.ts';
import { parseOrThrow } from '../../domain/schema.ts';
import { flowCountBody, flowFilterBody } from '../../ops/runs/bodies.ts';
import { countFlows, createFlow, filterFlows, readFlow } from '../../ops/runs/flows.ts';
import { type RouteDef, uuidParam } from '../router.ts';

export const flowRoutes: RouteDef[] = [
  {
    method: 'POST',
    path: '/flows/',
    tag: 'Flows',
    summary: 'Get or create a flow by name: 201 with the new flow, 200 with the existing one.',
    body: flowCreateSchema,
    async handler(ctx, req, reply) {
      const { flow, created } = await createFlow(ctx, parseOrThrow(flowCreateSchema, req.body, ['body']));
      return reply.code(created ? 201 : 200).send(renderFlow(flow));
    },
  },
  {
    method: 'POST',
    path: '/flows/filter',
    tag: 'Flows',
    summary: 'Flows matching FlowFilter (and, through their runs, FlowRunFilter / TaskRunFilter), sorted by FlowSort.',
    body: flowFilterBody,
    async handler(ctx, req) {
      return (await filterFlows(ctx, parseOrThrow(flowFilterBody, req.body ?? {}, ['body']))).map(renderFlow);
    },
  },
  {
    method: 'POST',
    path: '/flows/count',
    tag: 'Flows',
    summary: 'Number of flows matching the filters.',
    body: flowCountBody,
    async handler(ctx, req) {
      return countFlows(ctx, parseOrThrow(flowCountBody, req.body ?? {}, ['body']));
    },
  },
  {
    method: 'GET',
    path: '/flows/:id',
    tag: 'Flows',
    summary: 'Read a flow.',
    async handler(ctx, req) {
      return renderFlow(await readFlow(ctx, uuidParam(req, 'id')));
    },
  },
];
