/**
 * `GET /flow_runs/{flow_run_id}/events`: a page of one flow run's events (and its task runs'),
 * with the number of matching events as ETag — read from counters maintained at ingest, so a
 * client polling with `If-None-Match` costs one key lookup when nothing changed.
 */
import { renderEvent } from '../../domain/events.ts';
import { bool, type Infer, int, literal, object, optional } from '../../lib/schema.ts';
import { storeOf } from '../context.ts';
import type { EventsContext } from './context.ts';
import type { EventPageBody } from './filter-events.ts';

export const RUN_EVENTS_OFFSET_MAX = 5000;
export const RUN_EVENTS_LIMIT_MAX = 200;

export const runEventsQuerySchema = object(
  {
    offset: optional(int({ min: 0, max: RUN_EVENTS_OFFSET_MAX }), () => 0),
    order: optional(literal(['ASC', 'DESC'] as const), () => 'DESC' as const),
    with_task_runs: optional(bool(), () => true),
    limit: optional(int({ min: 1, max: RUN_EVENTS_LIMIT_MAX }), () => RUN_EVENTS_LIMIT_MAX),
  },
  { extra: 'ignore' },
);
export type RunEventsQuery = Infer<typeof runEventsQuerySchema>;

export async function runEventCount(
  ctx: EventsContext,
  workspaceId: string,
  flowRunId: string,
  q: RunEventsQuery,
): Promise<number> {
  return storeOf(ctx.services).events.runEventCount(workspaceId, flowRunId, q.with_task_runs);
}

export async function runEventsPage(
  ctx: EventsContext,
  workspaceId: string,
  flowRunId: string,
  q: RunEventsQuery,
  total: number,
): Promise<EventPageBody> {
  const events = await storeOf(ctx.services).events.runEvents(workspaceId, flowRunId, {
    withTaskRuns: q.with_task_runs,
    order: q.order,
    offset: q.offset,
    limit: q.limit,
  });
  const nextOffset = q.offset + q.limit;
  const next =
    nextOffset < total && nextOffset <= RUN_EVENTS_OFFSET_MAX && events.length === q.limit
      ? `${ctx.rootUrl}/flow_runs/${flowRunId}/events?offset=${nextOffset}&limit=${q.limit}&order=${q.order}&with_task_runs=${q.with_task_runs}`
      : null;
  return { events: events.map((e) => renderEvent(e, ctx.family === 'cloud')), total, next_page: next };
}
