/** Flow routes: `POST /flows/` (get-or-create), `GET /flows/{id}`, `POST /flows/filter`, `POST /flows/count`. */
import { flowCreateSchema, flowSchema, renderFlow } from '../../domain/runs/flows.ts';
import { flowCountBodySchema, flowFilterBodySchema } from '../../ops/runs/bodies.ts';
import { countFlows, createFlow, filterFlows, readFlow } from '../../ops/runs/flows.ts';
import { type RouteDef, route } from '../router.ts';
import { filterAndCountRoutes } from './filter-routes.ts';
import { readRoute } from './read-route.ts';

export const flowRoutes: RouteDef[] = [
  route({
    method: 'POST',
    path: '/flows/',
    tag: 'Flows',
    scope: 'write',
    summary: 'Get or create a flow by name: 201 with the new flow, 200 with the existing one.',
    body: flowCreateSchema,
    response: { 200: flowSchema, 201: flowSchema },
    async handler(ctx, { body }, _req, reply) {
      const { flow, created } = await createFlow(ctx, body);
      return reply.code(created ? 201 : 200).send(renderFlow(flow));
    },
  }),
  ...filterAndCountRoutes(
    '/flows',
    'Flows',
    {
      summary:
        'Flows matching FlowFilter (and, through their runs, FlowRunFilter / TaskRunFilter), sorted by FlowSort.',
      body: flowFilterBodySchema,
      item: flowSchema,
      run: async (ctx, body) => (await filterFlows(ctx, body)).map(renderFlow),
    },
    { body: flowCountBodySchema, run: countFlows },
  ),
  readRoute('Flows', '/flows/:id', 'Read a flow.', flowSchema, async (ctx, { params }) =>
    renderFlow(await readFlow(ctx, params.id)),
  ),
];
