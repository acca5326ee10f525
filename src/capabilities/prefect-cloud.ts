/**
 * What the Prefect Cloud OpenAPI document says about the operations the seed capability files
 * consume, where the generated files lost it: parameter types (the generator wrote `string` for
 * integers, booleans and arrays), request-body schemas (it wrote `object` for every body, even the
 * arrays of create-logs and create-*-events), enums, limits, defaults, and how each operation
 * pages. Keyed by `METHOD path` of the consumed operation, so it applies to any capability file
 * that consumes these Cloud routes and to nothing else. Written from the OpenAPI document in our
 * own words; `docs/capabilities.md` lists every type correction.
 */
import type { JsonSchema, Paging } from './model.ts';

export interface OperationFacts {
  /** What the operation does, its defaults and limits (appended to tool descriptions). */
  notes: string;
  paging?: Paging;
  /** Parameter schemas that replace the seed's (the body's is the request schema). */
  params?: Record<string, JsonSchema>;
}

const W = '/api/accounts/{account_id}/workspaces/{workspace_id}';
const A = '/api/accounts/{account_id}';

const uuid = (description?: string): JsonSchema => ({
  type: 'string',
  format: 'uuid',
  ...(description ? { description } : {}),
});
const int = (min?: number, max?: number, dflt?: number): JsonSchema => ({
  type: 'integer',
  ...(min !== undefined ? { minimum: min } : {}),
  ...(max !== undefined ? { maximum: max } : {}),
  ...(dflt !== undefined ? { default: dflt } : {}),
});
const strings: JsonSchema = { type: 'array', items: { type: 'string' } };
const enumOf = (values: string[], dflt?: string): JsonSchema => ({
  type: 'string',
  enum: values,
  ...(dflt ? { default: dflt } : {}),
});
const observedSort = enumOf(['NAME_ASC', 'LAST_SEEN_DESC'], 'LAST_SEEN_DESC');
const prefix = { type: 'string', maxLength: 100 };

const logCreate: JsonSchema = {
  type: 'object',
  properties: {
    name: { type: 'string', maxLength: 5000, description: 'Logger name.' },
    level: { type: 'integer', description: 'Log level (10 debug, 20 info, 30 warning, 40 error, 50 critical).' },
    message: { type: 'string', maxLength: 25000 },
    timestamp: { type: 'string', format: 'date-time' },
    flow_run_id: { type: 'string', format: 'uuid' },
    task_run_id: { type: 'string', format: 'uuid' },
    worker_id: { type: 'string', format: 'uuid' },
  },
  required: ['name', 'level', 'message', 'timestamp'],
  additionalProperties: false,
};

const logsFilterBody: JsonSchema = {
  type: 'object',
  description: 'A LogFilter query: {"logs": LogFilter, "sort", "offset", "limit"}.',
  properties: {
    logs: {
      type: 'object',
      description:
        'LogFilter: any of level {ge_, le_}, timestamp {before_, after_}, flow_run_id {any_}, task_run_id {any_, is_null_}, text {query}.',
    },
    sort: enumOf(['TIMESTAMP_ASC', 'TIMESTAMP_DESC'], 'TIMESTAMP_ASC'),
    offset: int(0, 20000, 0),
    limit: { type: 'integer', minimum: 0, maximum: 200, default: 200 },
  },
};

const event: JsonSchema = {
  type: 'object',
  properties: {
    occurred: { type: 'string', format: 'date-time' },
    event: { type: 'string', maxLength: 1024, description: 'Event name, e.g. prefect.flow-run.Completed.' },
    resource: { type: 'object', description: 'Labels of the primary resource; must hold "prefect.resource.id".' },
    related: {
      type: 'array',
      items: { type: 'object' },
      description: 'Related resources (each with "prefect.resource.role").',
    },
    payload: { type: 'object' },
    id: { type: 'string', format: 'uuid', description: 'Client-chosen id; resending the same id is a no-op.' },
    follows: { type: 'string', format: 'uuid' },
  },
  required: ['occurred', 'event', 'resource', 'id'],
};

const eventFilterBody: JsonSchema = {
  type: 'object',
  properties: {
    filter: {
      type: 'object',
      description:
        'EventFilter: occurred {since, until}, event {prefix, name}, resource {id, id_prefix, labels}, related, any_resource, id, text, order.',
    },
    limit: int(0, 200, 50),
  },
};

const countBody: JsonSchema = {
  type: 'object',
  properties: {
    filter: { type: 'object', description: 'EventFilter narrowing the events counted.' },
    time_unit: enumOf(['week', 'day', 'hour', 'minute', 'second'], 'day'),
    time_interval: { type: 'number', minimum: 0.01, default: 1 },
  },
};
const countable = enumOf(['day', 'time', 'event', 'resource', 'workspace', 'actor']);

const readEvents = (scope: string): OperationFacts => ({
  notes: `Queries events of the ${scope} matching the filter and returns the first page ({events, total, next_page}). body.limit is 0..200 (default 50); a query covers at most a 14-day window.`,
  paging: {
    kind: 'limit',
    argument: 'body.limit',
    list: 'events',
    hint: 'follow next_page by passing its page-token query value to the matching *-events-page tool',
  },
  params: { body: eventFilterBody },
});
const eventsPage = (scope: string): OperationFacts => ({
  notes: `Returns the next page of a previous ${scope} events query. page-token is the value after "page-token=" in the previous answer's next_page URL.`,
  paging: { kind: 'none', list: 'events', hint: 'continue with the page-token of next_page' },
});
const createEvents = (scope: string): OperationFacts => ({
  notes: `Records a batch of events for the ${scope}. body is a JSON array of events; an event id already stored is ignored.`,
  params: { body: { type: 'array', items: event } },
});
const countEvents: OperationFacts = {
  notes:
    'Counts events grouped by countable (day, time, event, resource, workspace or actor); time buckets use time_unit × time_interval and at most 1000 buckets fit in one query.',
  paging: { kind: 'none', hint: 'narrow body.filter' },
  params: { countable, body: countBody },
};

export const PREFECT_CLOUD: Record<string, OperationFacts> = {
  [`GET ${W}/flow_runs/{id}/download-logs-csv`]: {
    notes:
      'Deprecated alias of logs/download: every log of the flow run as CSV (timestamp,level,flow_run_id,task_run_id,message).',
    paging: { kind: 'none', hint: 'page through the logs with get-flow-run-logs (offset, limit)' },
    params: { id: uuid('The flow run id') },
  },
  [`GET ${W}/flow_runs/{id}/logs/download`]: {
    notes: 'Every log of the flow run as CSV (timestamp,level,flow_run_id,task_run_id,message), oldest first.',
    paging: { kind: 'none', hint: 'page through the logs with get-flow-run-logs (offset, limit)' },
    params: { id: uuid('The flow run id') },
  },
  [`GET ${W}/flow_runs/{id}/logs`]: {
    notes:
      'Returns one page of the logs of a flow run, filtered by level, time, task runs, loggers and text. Defaults: offset 0, sort TIMESTAMP_ASC, limit 200 (the maximum). Pass the ETag of a previous answer as if-none-match to get "not modified" when nothing changed.',
    paging: { kind: 'offset', argument: 'offset' },
    params: {
      id: uuid(),
      level_ge: int(0),
      level_le: int(0),
      offset: int(0, undefined, 0),
      sort: enumOf(['TIMESTAMP_ASC', 'TIMESTAMP_DESC'], 'TIMESTAMP_ASC'),
      since: { type: 'string', format: 'date-time' },
      until: { type: 'string', format: 'date-time' },
      task_runs_is_null: { type: 'boolean' },
      text_query: { type: 'string', maxLength: 200 },
      limit: int(0, 200, 200),
    },
  },
  [`POST ${W}/logs/`]: {
    notes: 'Creates logs. body is a JSON array of logs; the answer is empty once they are stored.',
    params: { body: { type: 'array', items: logCreate } },
  },
  [`POST ${W}/logs/filter`]: {
    notes:
      'Queries logs with a LogFilter. Defaults: sort TIMESTAMP_ASC, offset 0 (at most 20000), limit 200 (the maximum).',
    paging: { kind: 'offset', argument: 'body.offset' },
    params: { body: logsFilterBody },
  },
  [`GET ${W}/observed-loggers`]: {
    notes:
      'Distinct logger names seen in the workspace, with counts and first/last seen times. limit 1..200 (default 200); query is a name prefix.',
    paging: { kind: 'limit', argument: 'limit' },
    params: { query: prefix, order_by: observedSort, limit: int(1, 200, 200) },
  },
  [`GET ${W}/traces/{trace_id}/observed-loggers`]: {
    notes:
      'Distinct logger names used in one trace (flow run), with counts and first/last seen times. limit 1..200 (default 100).',
    paging: { kind: 'limit', argument: 'limit' },
    params: { trace_id: uuid(), query: prefix, order_by: observedSort, limit: int(1, 200, 100) },
  },
  [`GET ${W}/observed-states`]: {
    notes: 'Distinct state type/name pairs seen across the workspace traces. limit 1..200 (default 200).',
    paging: { kind: 'limit', argument: 'limit' },
    params: { query: prefix, order_by: observedSort, limit: int(1, 200, 200) },
  },
  [`GET ${W}/spans/lookup/{run_id}`]: {
    notes: 'Finds the trace and span of a flow or task run id ({trace_id, span_id}); 404 when the run has no span.',
    params: { run_id: uuid() },
  },
  [`GET ${W}/spans/{span_id}/observed-tags`]: {
    notes: 'Tags seen on a span and all its descendants, with counts.',
    paging: { kind: 'none' },
    params: { span_id: uuid(), query: prefix },
  },
  [`GET ${W}/traces/{trace_id}`]: {
    notes:
      'Spans of a trace, cursor-paged ({spans, next_cursor, prev_cursor}). Filter by parent_span_id, depth (0 = root spans), entities, state_types, state_names, tags (any of) and a text query. limit 1..1000 (default 100), direction asc|desc.',
    paging: { kind: 'limit', argument: 'limit', list: 'spans', hint: 'or continue with cursor = next_cursor' },
    params: {
      trace_id: uuid(),
      parent_span_id: uuid(),
      depth: int(0),
      entities: strings,
      state_types: strings,
      state_names: strings,
      tags: strings,
      query: { type: 'string', maxLength: 200 },
      limit: int(1, 1000, 100),
      direction: enumOf(['asc', 'desc'], 'asc'),
    },
  },
  [`GET ${W}/traces/{trace_id}/context/{span_id}`]: {
    notes:
      'The context of one span: its ancestors and up to context_size siblings before and after (1..100, default 10).',
    paging: { kind: 'limit', argument: 'context_size', list: 'spans' },
    params: { trace_id: uuid(), span_id: uuid(), context_size: int(1, 100, 10) },
  },
  [`GET ${W}/traces/{trace_id}/observed-states`]: {
    notes: 'Distinct state type/name pairs used in one trace. limit 1..500 (default 100).',
    paging: { kind: 'limit', argument: 'limit' },
    params: { trace_id: uuid(), query: prefix, order_by: observedSort, limit: int(1, 500, 100) },
  },
  [`GET ${W}/traces/{trace_id}/observed-tags`]: {
    notes: 'Tags used by the spans of one trace, with counts.',
    paging: { kind: 'none' },
    params: { trace_id: uuid(), query: prefix },
  },
  [`GET ${W}/traces/{trace_id}/spans`]: {
    notes: 'The spans of a trace with the given ids; ids that do not exist or belong to another trace are left out.',
    paging: { kind: 'none', hint: 'ask for fewer ids' },
    params: { trace_id: uuid(), ids: { type: 'array', items: { type: 'string', format: 'uuid' } } },
  },
  [`GET ${W}/traces/{trace_id}/spans/{span_id}`]: {
    notes: 'One span of a trace; 404 when it does not exist or belongs to another trace.',
    params: { trace_id: uuid(), span_id: uuid() },
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
    params: {
      flow_run_id: uuid(),
      offset: int(0, 5000, 0),
      order: enumOf(['ASC', 'DESC'], 'DESC'),
      with_task_runs: { type: 'boolean', default: true },
    },
  },
  [`GET ${W}/tags`]: {
    notes:
      'Pages through the workspace tag index ({results, count, limit, pages, page}); search matches tag names. page ≥ 1.',
    paging: { kind: 'page', page: 'page', limit: 'limit', defaultLimit: 200, list: 'results' },
    params: {
      page: int(1, undefined, 1),
      sort: enumOf(['NAME_ASC', 'NAME_DESC', 'LAST_SEEN_ASC', 'LAST_SEEN_DESC'], 'LAST_SEEN_DESC'),
    },
  },
  [`DELETE ${W}/tags`]: {
    notes: 'Removes a tag from the workspace tag index (tags on runs are untouched).',
    params: { tag: { type: 'string', minLength: 1 } },
  },
};

// Every Cloud route's account and workspace are UUIDs: checked before a URL is built (`invoke.ts`),
// so that `..` or a slash can never turn a call into a request for another route.
for (const [key, facts] of Object.entries(PREFECT_CLOUD)) {
  facts.params = {
    account_id: uuid('The account id'),
    ...(key.includes('{workspace_id}') ? { workspace_id: uuid('The workspace id') } : {}),
    ...facts.params,
  };
}
