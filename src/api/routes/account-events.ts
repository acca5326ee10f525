/**
 * Account-scope event routes (`/api/accounts/{account_id}/events…`), outside the per-workspace
 * route table. Events posted here belong to the account and to no workspace; reads see the
 * account's own events and those of all its workspaces. Errors use the Cloud shapes.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError, notFound } from '../../domain/errors.ts';
import { normalizeUuid } from '../../domain/ids.ts';
import type { Services } from '../../ops/context.ts';
import { type EventsContext, scopeRootPath } from '../../ops/events/context.ts';
import { countEvents } from '../../ops/events/count-events.ts';
import { filterEvents, nextEventsPage } from '../../ops/events/filter-events.ts';
import { ingestEvents } from '../../ops/events/ingest-events.ts';
import { linkOrigin } from '../link-origin.ts';
import { contentLength, pageTokenOf } from './events.ts';

export async function accountEventsCtx(services: Services, req: FastifyRequest): Promise<EventsContext> {
  const accountId = normalizeUuid((req.params as { account_id: string }).account_id);
  if (!accountId) throw new AppError('route_not_found', 'Not Found');
  if (!(await services.store.tenancy.getAccount(accountId))) throw notFound('Account');
  const scope = { kind: 'account' as const, accountId };
  return { services, scope, family: 'cloud', rootUrl: linkOrigin(services.config, req) + scopeRootPath(scope, 'cloud') };
}

export function registerAccountEventRoutes(app: FastifyInstance, services: Services): void {
  const base = '/api/accounts/:account_id/events';
  app.post(base, async (req, reply) => {
    const ctx = await accountEventsCtx(services, req);
    await ingestEvents(services, { accountId: ctx.scope.accountId, workspaceId: null }, req.body, contentLength(req));
    return reply.code(204).send();
  });
  app.post(`${base}/filter`, async (req) => filterEvents(await accountEventsCtx(services, req), req.body));
  app.post(`${base}/count-by/:countable`, async (req) =>
    countEvents(await accountEventsCtx(services, req), (req.params as { countable: string }).countable, req.body),
  );
  app.get(`${base}/filter/next`, async (req) => nextEventsPage(await accountEventsCtx(services, req), pageTokenOf(req)));
}
