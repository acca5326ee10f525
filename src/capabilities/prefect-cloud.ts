/**
 * Notes and paging hints for the Prefect Cloud operations the seed capability files consume,
 * written from the Cloud OpenAPI document in our own words and keyed by `METHOD path`. Parameter
 * schemas are not kept here: the shipped files take them from the native route table
 * (`native-params.ts`), and any other file keeps the ones it declares.
 */
import type { Paging } from './model.ts';

export interface OperationFacts {
  /** What the operation does, its defaults and limits (appended to tool descriptions). */
  notes: string;
  paging?: Paging;
}

const W = '/api/accounts/{account_id}/workspaces/{workspace_id}';
const A = '/api/accounts/{account_id}';

const readEvents = (scope: string): OperationFacts => ({
  notes: `Queries events of the ${scope} matching the filter and returns the first page ({events, total, next_page}). body.limit is 1..200 (default 50). Prefect Cloud limits a query to a 14-day window; Sightline does not.`,
  paging: {
    kind: 'limit',
    argument: 'body.limit',
    list: 'events',
    hint: 'follow next_page by passing its page-token query value to the matching *-events-page tool',
  },
});
const eventsPage = (scope: string): OperationFacts => ({
  notes: `Returns the next page of a previous ${scope} events query. page-token is the value after "page-token=" in the previous answer's next_page URL.`,
  paging: { kind: 'none', list: 'events', hint: 'continue with the page-token of next_page' },
});
const createEvents = (scope: string): OperationFacts => ({
  notes: `Records a batch of events for the ${scope}. body is a JSON array of events; an event id already stored is ignored.`,
});
const countEvents: OperationFacts = {
  notes:
    'Counts events grouped by countable (day, time, event, resource, workspace or actor); time buckets use time_unit × time_interval and at most 1000 buckets fit in one query.',
  paging: { kind: 'none', hint: 'narrow body.filter' },
};

export const PREFECT_CLOUD: Record<string, OperationFacts> = {
  [`GET ${W}/flow_runs/{id}/download-logs-csv`]: {
    notes:
      'Deprecated alias of logs/download: every log of the flow run as CSV (timestamp,level,flow_run_id,task_run_id,message).',
    paging: { kind: 'none', hint: 'page through the logs with get-flow-run-logs (offset, limit)' },
  },
  [`GET ${W}/flow_runs/{id}/logs/download`]: {
    notes: 'Every log of the flow run as CSV (timestamp,level,flow_run_id,task_run_id,message), oldest first.',
    paging: { kind: 'none', hint: 'page through the logs with get-flow-run-logs (offset, limit)' },
  },
  [`GET ${W}/flow_runs/{id}/logs`]: {
    notes:
      'Returns one page of the logs of a flow run, filtered by level, time, task runs, loggers and text. Defaults: offset 0, sort TIMESTAMP_ASC, limit 200 (the maximum). Pass the ETag of a previous answer as if-none-match to get "not modified" when nothing changed.',
    paging: { kind: 'offset', argument: 'offset' },
  },
  [`POST ${W}/logs/`]: {
    notes: 'Creates logs. body is a JSON array of logs; the answer is empty once they are stored.',
  },
  [`POST ${W}/logs/filter`]: {
    notes:
      'Queries logs with a LogFilter. Defaults: sort TIMESTAMP_ASC, offset 0 (at most 20000), limit 200 (the maximum).',
    paging: { kind: 'offset', argument: 'body.offset' },
  },
  [`GET ${W}/observed-loggers`]: {
    notes:
      'Distinct logger names seen in the workspace, with counts and first/last seen times. limit 1..200 (default 200); query is a name prefix.',
    paging: { kind: 'limit', argument: 'limit' },
  },
  [`GET ${W}/traces/{trace_id}/observed-loggers`]: {
    notes:
      'Distinct logger names used in one trace (flow run), with counts and first/last seen times. limit 1..200 (default 100).',
    paging: { kind: 'limit', argument: 'limit' },
  },
  [`GET ${W}/observed-states`]: {
    notes: 'Distinct state type/name pairs seen across the workspace traces. limit 1..200 (default 200).',
    paging: { kind: 'limit', argument: 'limit' },
  },
  [`GET ${W}/spans/lookup/{run_id}`]: {
    notes: 'Finds the trace and span of a flow or task run id ({trace_id, span_id}); 404 when the run has no span.',
  },
  [`GET ${W}/spans/{span_id}/observed-tags`]: {
    notes: 'Tags seen on a span and all its descendants, with counts.',
    paging: { kind: 'none' },
  },
  [`GET ${W}/traces/{trace_id}`]: {
    notes:
      'Spans of a trace, cursor-paged ({spans, next_cursor, prev_cursor}). Filter by parent_span_id, depth (0 = root spans), entities, state_types, state_names, tags (any of) and a text query. limit 1..1000 (default 100), direction asc|desc.',
    paging: { kind: 'limit', argument: 'limit', list: 'spans', hint: 'or continue with cursor = next_cursor' },
  },
  [`GET ${W}/traces/{trace_id}/context/{span_id}`]: {
    notes:
      'The context of one span: its ancestors and up to context_size siblings before and after (1..100, default 10).',
    paging: { kind: 'limit', argument: 'context_size', list: 'spans' },
  },
  [`GET ${W}/traces/{trace_id}/observed-states`]: {
    notes: 'Distinct state type/name pairs used in one trace. limit 1..500 (default 100).',
    paging: { kind: 'limit', argument: 'limit' },
  },
  [`GET ${W}/traces/{trace_id}/observed-tags`]: {
    notes: 'Tags used by the spans of one trace, with counts.',
    paging: { kind: 'none' },
  },
  [`GET ${W}/traces/{trace_id}/spans`]: {
    notes: 'The spans of a trace with the given ids; ids that do not exist or belong to another trace are left out.',
    paging: { kind: 'none', hint: 'ask for fewer ids' },
  },
  [`GET ${W}/traces/{trace_id}/spans/{span_id}`]: {
    notes: 'One span of a trace; 404 when it does not exist or belongs to another trace.',
  },
  [`POST ${A}/events`]: createEvents('account'),
  [`POST ${A}/events/count-by/{countable}`]: countEvents,
  [`POST ${A}/events/filter`]: readEvents('account'),
  [`GET ${A}/events/filter/next`]: eventsPage('account'),
  [`POST ${W}/events`]: createEvents('workspace'),
  [`POST ${W}/events/count-by/{countable}`]: countEvents,
  [`POST ${W}/events/filter`]: readEvents('workspace'),
  [`GET ${W}/events/filter/next`]: eventsPage('workspace'),
  [`GET ${W}/flow_runs/{flow_run_id}/events`]: {
    notes:
      'The first page of events of a flow run (with its task runs unless with_task_runs is false). offset 0..5000, order DESC by default. if-none-match with the current event count answers "not modified".',
    paging: { kind: 'offset', argument: 'offset' },
  },
  [`GET ${W}/tags`]: {
    notes:
      'Pages through the workspace tag index ({results, count, limit, pages, page}); search matches tag names. page ≥ 1.',
    paging: { kind: 'page', page: 'page', limit: 'limit', defaultLimit: 200, list: 'results' },
  },
  [`DELETE ${W}/tags`]: {
    notes: 'Removes a tag from the workspace tag index (tags on runs are untouched).',
  },
};
