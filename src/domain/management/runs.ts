/**
 * Flow runs in the management API: the list's parameters (`GET /api/v1/flow-runs`) and the run
 * item. `status` is the state type in lower case; durations are milliseconds.
 */
import { array, bool, int, literal, named, object, optional, orNull, str } from '../../lib/schema.ts';
import { uuid } from '../ids.ts';
import { estimatedRunTime } from '../runs/bookkeeping.ts';
import { type RunListQuery, type RunListRow, TRIGGERS, triggerOf } from '../runs/run-list.ts';
import { STATE_TYPES, type StateType } from '../runs/states.ts';
import { datetime, formatMicros, formatNullable, type Micros } from '../time.ts';
import { logItemSchema } from './logs.ts';
import {
  boolean,
  includes,
  invalid,
  list,
  oneOf,
  onlySupported,
  paging,
  type RawQuery,
  text,
  unixMillis,
  unsupported,
  utcDay,
  uuidOf,
} from './params.ts';

export const RUN_INCLUDES = [
  'flow',
  'flowRunLogs',
  'flowRunLogs.flowStep',
  'errorWarningLogs',
  'retriedFlowRun',
] as const;
export type RunInclude = (typeof RUN_INCLUDES)[number];

export const RUN_FILTERS = [
  'filter[flow_id]',
  'filter[status]',
  'filter[trigger]',
  'filter[search]',
  'filter[started_after]',
  'filter[started_before]',
  'filter[started_on]',
  'filter[retried]',
  'filter[has_warnings]',
] as const;
export const RUN_LIST_PARAMS = [...RUN_FILTERS, 'include', 'sort', 'page', 'per_page'] as const;
export const RUN_SORTS = ['started_at', '-started_at'] as const;
export const SEARCH_MAX = 200;

const STATUSES = STATE_TYPES.map((t) => t.toLowerCase());

export interface RunListRequest {
  query: Omit<RunListQuery, 'limit' | 'offset'>;
  include: Set<RunInclude>;
  page: number;
  perPage: number;
  offset: number;
}

/** Reads (and checks every parameter of) a run-list query string. */
export function readRunListQuery(q: RawQuery): RunListRequest {
  onlySupported(q, RUN_LIST_PARAMS);
  const include = includes(q, RUN_INCLUDES);
  const sort = text(q, 'sort') ?? '-started_at';
  if (!(RUN_SORTS as readonly string[]).includes(sort)) throw unsupported('sort', sort, RUN_SORTS);
  const search = text(q, 'filter[search]');
  if (search !== undefined && search.length > SEARCH_MAX)
    throw invalid('filter[search]', `must be at most ${SEARCH_MAX} characters`, search);
  const query: RunListRequest['query'] = {
    flowIds: list(q, 'filter[flow_id]', uuidOf('filter[flow_id]')),
    stateTypes: list(q, 'filter[status]', oneOf('filter[status]', STATUSES))?.map((s) => s.toUpperCase() as StateType),
    triggers: list(q, 'filter[trigger]', oneOf('filter[trigger]', TRIGGERS)),
    search: search || undefined,
    retried: boolean(q, 'filter[retried]'),
    hasWarnings: boolean(q, 'filter[has_warnings]'),
    descending: sort === '-started_at',
  };
  const after = unixMillis(q, 'filter[started_after]');
  const before = unixMillis(q, 'filter[started_before]');
  const on = unixMillis(q, 'filter[started_on]');
  const bounds = [after, on === undefined ? undefined : utcDay(on).start].filter((t) => t !== undefined);
  const ends = [before, on === undefined ? undefined : utcDay(on).end].filter((t) => t !== undefined);
  if (bounds.length) query.startedFrom = Math.max(...bounds);
  if (ends.length) query.startedBefore = Math.min(...ends);
  return { query, include, ...paging(q) };
}

/** A single run's query: the list's parameters are checked, then only `include` counts. */
export function readRunQuery(q: RawQuery): Set<RunInclude> {
  return readRunListQuery(q).include;
}

/** Logs included in a run item: the first (or last) few, the total, and the list that has them all. */
const embeddedLogs = object({ data: array(logItemSchema), total: int({ min: 0 }), related: str() });

/** The run item, as `renderRunItem` writes it, with its relationships when included. */
export const runItemSchema = named(
  'ManagedFlowRun',
  object({
    id: uuid(),
    flow_id: uuid(),
    name: str(),
    status: orNull(literal(STATE_TYPES.map((t) => t.toLowerCase()))),
    state_name: orNull(str()),
    trigger: literal(TRIGGERS),
    message: orNull(str()),
    tags: array(str()),
    created_at: datetime(),
    started_at: orNull(datetime()),
    finished_at: orNull(datetime()),
    duration_ms: orNull(int({ min: 0 })),
    parent_flow_run_id: orNull(uuid()),
    retry_of_flow_run_id: orNull(uuid()),
    retried_flow_run_id: orNull(uuid()),
    has_warnings: bool(),
    warning_count: int({ min: 0 }),
    error_count: int({ min: 0 }),
    flow: optional(object({ id: uuid(), name: str() })),
    retriedFlowRun: optional(orNull(object({ id: uuid(), status: orNull(str()) }))),
    flowRunLogs: optional(embeddedLogs),
    errorWarningLogs: optional(embeddedLogs),
  }),
);

/** The run item, without its included relationships. */
export function renderRunItem(row: RunListRow, now: Micros): Record<string, unknown> {
  const r = row.run;
  const ms = (us: Micros) => Math.round(us / 1000);
  return {
    id: r.id,
    flow_id: r.flow_id,
    name: r.name,
    status: r.state_type ? r.state_type.toLowerCase() : null,
    state_name: r.state_name,
    trigger: triggerOf(r),
    message: r.state?.message ?? null,
    tags: r.tags,
    created_at: formatMicros(r.created),
    started_at: formatNullable(r.start_time),
    finished_at: formatNullable(r.end_time),
    duration_ms: r.start_time === null ? null : ms(estimatedRunTime(r, now)),
    parent_flow_run_id: row.parentFlowRunId,
    retry_of_flow_run_id: r.retry_of,
    retried_flow_run_id: row.retriedBy?.id ?? null,
    has_warnings: row.warnings + row.errors > 0,
    warning_count: row.warnings,
    error_count: row.errors,
  };
}
