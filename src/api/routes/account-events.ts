/**
 * Account-scope event routes (`/api/accounts/{account_id}/events…`), outside the per-workspace
 * route table. Events posted here belong to the account and to no workspace; reads see the
 * account's own events and those of all its workspaces. Errors use the Cloud shapes.
 */
import { type Countable, eventSchema } from '../../domain/events.ts';
import { array, unparsed } from '../../lib/schema.ts';
import type { Services } from '../../ops/context.ts';
import { countableSchema, countEvents, countEventsSchema, eventCountSchema } from '../../ops/events/count-events.ts';
import { eventPageSchema, filterEvents, filterEventsSchema, nextEventsPage } from '../../ops/events/filter-events.ts';
import { receiveEvents } from '../../ops/events/ingest-events.ts';
import { accountEventsContext } from '../../ops/tenancy/accounts.ts';
import { linkOrigin } from '../link-origin.ts';
import { type FixedRouteDef, fixedRoute, type RequestInfo } from '../router.ts';
import { contentLength, eventCount, pageTokenQuerySchema } from './events.ts';

const base = '/api/accounts/:account_id/events';

const eventsCtx = (services: Services, accountId: string, req: RequestInfo) =>
  accountEventsContext(services, accountId, linkOrigin(services.config, req));

export const accountEventRoutes: FixedRouteDef[] = [
  fixedRoute({
    method: 'POST',
    url: base,
    tag: 'Events',
    summary: "Record a batch of the account's own events (no workspace). 204 once committed.",
    scope: 'write',
    body: unparsed(array(eventSchema)),
    items: eventCount,
    status: 204,
    response: null,
    handler: async (services, { params, body }, req, reply) => {
      const ctx = await eventsCtx(services, params.account_id, req);
      await receiveEvents(
        services.eventWriter,
        { accountId: ctx.scope.accountId, workspaceId: null },
        body,
        contentLength(req),
      );
      return reply.code(204).send();
    },
  }),
  fixedRoute({
    method: 'POST',
    url: `${base}/filter`,
    tag: 'Events',
    summary: "First page of the account's events and those of all its workspaces.",
    scope: 'read',
    body: filterEventsSchema('cloud'),
    response: eventPageSchema,
    bodyOptional: true,
    handler: async (services, { params, body }, req) =>
      filterEvents(await eventsCtx(services, params.account_id, req), body),
  }),
  fixedRoute({
    method: 'POST',
    url: `${base}/count-by/:countable`,
    tag: 'Events',
    summary: "Count the account's events by day, time, event, resource, workspace or actor.",
    scope: 'read',
    params: { countable: countableSchema },
    body: countEventsSchema('cloud'),
    response: array(eventCountSchema),
    bodyOptional: true,
    handler: async (services, { params, body }, req) =>
      countEvents(await eventsCtx(services, params.account_id, req), params.countable as Countable, body),
  }),
  fixedRoute({
    method: 'GET',
    url: `${base}/filter/next`,
    tag: 'Events',
    summary: 'Next page of an account event query, from the page-token of next_page.',
    scope: 'read',
    query: pageTokenQuerySchema,
    response: eventPageSchema,
    errors: [403],
    handler: async (services, { params, query }, req) =>
      nextEventsPage(await eventsCtx(services, params.account_id, req), query['page-token']),
  }),
];
