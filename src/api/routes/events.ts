/** Event routes served on both path families: ingest, filter, next page. */
import { type Countable, eventSchema } from '../../domain/events.ts';
import { array, object, str, unparsed } from '../../lib/schema.ts';
import type { OpContext } from '../../ops/context.ts';
import { type EventsContext, eventsContext, scopeRootPath, workspaceScope } from '../../ops/events/context.ts';
import { countableSchema, countEvents, countEventsSchema, eventCountSchema } from '../../ops/events/count-events.ts';
import { eventPageSchema, filterEvents, filterEventsSchema, nextEventsPage } from '../../ops/events/filter-events.ts';
import { receiveEvents } from '../../ops/events/ingest-events.ts';
import { runEventCount, runEventsPage, runEventsQuerySchema } from '../../ops/events/run-events.ts';
import {
  deleteTag,
  deleteTagQuerySchema,
  listTags,
  listTagsQuerySchema,
  tagPageSchema,
} from '../../ops/events/tags.ts';
import { notModified } from '../conditional.ts';
import { linkOrigin } from '../link-origin.ts';
import { type RequestInfo, type RouteDef, route } from '../router.ts';

function eventsCtx(ctx: OpContext, req: RequestInfo): EventsContext {
  return eventsContext(ctx, linkOrigin(ctx.services.config, req) + scopeRootPath(workspaceScope(ctx), ctx.family));
}

/** The request body's declared size in bytes, when the client sent one. */
export function contentLength(req: RequestInfo): number | undefined {
  const n = Number(req.headers['content-length']);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** The events of a `POST /events` body, before it is validated (an invalid batch is given back). */
export const eventCount = (body: unknown) => (Array.isArray(body) ? body.length : 0);

export const pageTokenQuerySchema = object({ 'page-token': str() }, { extra: 'ignore' });

export const eventRoutes: RouteDef[] = [
  route({
    method: 'POST',
    path: '/events',
    tag: 'Events',
    scope: 'write',
    summary:
      'Record a batch of events (a JSON array of Event). 204 once committed; an invalid event rejects the batch with 422.',
    body: unparsed(array(eventSchema)),
    items: eventCount,
    status: 204,
    response: null,
    async handler(ctx, { body }, req, reply) {
      await receiveEvents(
        ctx.services.eventWriter,
        { accountId: ctx.workspace.accountId, workspaceId: ctx.workspace.id },
        body,
        contentLength(req),
      );
      return reply.code(204).send();
    },
  }),
  route({
    method: 'POST',
    path: '/events/filter',
    tag: 'Events',
    scope: 'read',
    summary: 'First page of events matching an EventFilter (EventPage; next_page is a signed link valid for 1 hour).',
    body: filterEventsSchema,
    bodyOptional: true,
    response: eventPageSchema,
    handler: (ctx, { body }, req) => filterEvents(eventsCtx(ctx, req), body),
  }),
  route({
    method: 'GET',
    path: '/events/filter/next',
    tag: 'Events',
    scope: 'read',
    summary: 'Next page of an event query, from the page-token of next_page (403 when invalid, expired or foreign).',
    query: pageTokenQuerySchema,
    response: eventPageSchema,
    errors: [403],
    handler: (ctx, { query }, req) => nextEventsPage(eventsCtx(ctx, req), query['page-token']),
  }),
  route({
    method: 'POST',
    path: '/events/count-by/:countable',
    tag: 'Events',
    scope: 'read',
    summary: 'Count events by day, time, event, resource, workspace or actor (EventCount[]).',
    params: { countable: countableSchema },
    body: countEventsSchema,
    response: array(eventCountSchema),
    bodyOptional: true,
    handler: (ctx, { params, body }, req) => countEvents(eventsCtx(ctx, req), params.countable as Countable, body),
  }),
  route({
    method: 'GET',
    path: '/flow_runs/:id/events',
    tag: 'Events',
    scope: 'read',
    summary:
      "A page of a flow run's events (and its task runs'); ETag = number of matching events, If-None-Match → 304.",
    query: runEventsQuerySchema,
    response: { 200: eventPageSchema, 304: null },
    async handler(ctx, { params, query: q }, req, reply) {
      const flowRunId = params.id;
      const ectx = eventsCtx(ctx, req);
      const total = await runEventCount(ectx, ctx.workspace.id, flowRunId, q);
      const etag = `"${total}"`;
      reply.header('etag', etag);
      if (notModified(req, etag)) return reply.code(304).send();
      return runEventsPage(ectx, ctx.workspace.id, flowRunId, q, total);
    },
  }),
  route({
    method: 'GET',
    path: '/tags',
    tag: 'Events',
    scope: 'read',
    summary: 'Page through the workspace tag index (TagPaginationResponse).',
    query: listTagsQuerySchema,
    response: tagPageSchema,
    handler: (ctx, { query }) => listTags(ctx, query),
  }),
  route({
    method: 'DELETE',
    path: '/tags',
    tag: 'Events',
    scope: 'admin',
    summary: 'Remove a tag from the workspace tag index (204, also when unknown). Events are not changed.',
    query: deleteTagQuerySchema,
    status: 204,
    response: null,
    handler: (ctx, { query }) => deleteTag(ctx, query.tag),
  }),
];
