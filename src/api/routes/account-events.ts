/**
 * Account-scope event routes (`/api/accounts/{account_id}/events…`), outside the per-workspace
 * route table. Events posted here belong to the account and to no workspace; reads see the
 * account's own events and those of all its workspaces. Errors use the Cloud shapes.
 */
import type { FastifyRequest } from 'fastify';
import { AppError, notFound } from '../../domain/errors.ts';
import { eventSchema } from '../../domain/events.ts';
import { normalizeUuid } from '../../domain/ids.ts';
import { array, object, str } from '../../domain/schema.ts';
import type { Services } from '../../ops/context.ts';
import { type EventsContext, scopeRootPath } from '../../ops/events/context.ts';
import { countableSchema, countEvents, countEventsSchema } from '../../ops/events/count-events.ts';
import { filterEvents, filterEventsSchema, nextEventsPage } from '../../ops/events/filter-events.ts';
import { ingestEvents } from '../../ops/events/ingest-events.ts';
import { linkOrigin } from '../link-origin.ts';
import type { FixedRouteDef } from '../router.ts';
import { contentLength, pageTokenOf } from './events.ts';

export async function accountEventsCtx(services: Services, req: FastifyRequest): Promise<EventsContext> {
  const accountId = normalizeUuid((req.params as { account_id: string }).account_id);
  if (!accountId) throw new AppError('route_not_found', 'Not Found');
  if (!(await services.store.tenancy.getAccount(accountId))) throw notFound('Account');
  const scope = { kind: 'account' as const, accountId };
  return {
    services,
    scope,
    family: 'cloud',
    rootUrl: linkOrigin(services.config, req) + scopeRootPath(scope, 'cloud'),
  };
}

const base = '/api/accounts/:account_id/events';

export const accountEventRoutes = (services: Services): FixedRouteDef[] => [
  {
    method: 'POST',
    url: base,
    tag: 'Events',
    summary: "Record a batch of the account's own events (no workspace). 204 once committed.",
    body: array(eventSchema),
    status: 204,
    handler: async (req, reply) => {
      const ctx = await accountEventsCtx(services, req);
      await ingestEvents(services, { accountId: ctx.scope.accountId, workspaceId: null }, req.body, contentLength(req));
      return reply.code(204).send();
    },
  },
  {
    method: 'POST',
    url: `${base}/filter`,
    tag: 'Events',
    summary: "First page of the account's events and those of all its workspaces.",
    body: filterEventsSchema('cloud'),
    handler: async (req) => filterEvents(await accountEventsCtx(services, req), req.body),
  },
  {
    method: 'POST',
    url: `${base}/count-by/:countable`,
    tag: 'Events',
    summary: "Count the account's events by day, time, event, resource, workspace or actor.",
    params: { countable: countableSchema },
    body: countEventsSchema('cloud'),
    handler: async (req) =>
      countEvents(await accountEventsCtx(services, req), (req.params as { countable: string }).countable, req.body),
  },
  {
    method: 'GET',
    url: `${base}/filter/next`,
    tag: 'Events',
    summary: 'Next page of an account event query, from the page-token of next_page.',
    query: object({ 'page-token': str() }),
    handler: async (req) => nextEventsPage(await accountEventsCtx(services, req), pageTokenOf(req)),
  },
];
