/** A flow run's logs in the management API (`GET /api/v1/flow-runs/{id}/flow-run-logs`). */
import { int, named, object, optional, orNull, str } from '../../lib/schema.ts';
import { uuid } from '../ids.ts';
import type { LogRow } from '../logs.ts';
import { datetime, formatMicros } from '../time.ts';
import { includes, list, onlySupported, paging, type RawQuery, text, unsupported, uuidOf } from './params.ts';

export const LOG_INCLUDES = ['flowRun', 'flowStep'] as const;
export type LogInclude = (typeof LOG_INCLUDES)[number];
export const LOG_LIST_PARAMS = ['filter[flow_step_id]', 'include', 'sort', 'page', 'per_page'] as const;
export const LOG_SORTS = ['timestamp', '-timestamp'] as const;

export interface LogListRequest {
  taskRunIds?: string[];
  include: Set<LogInclude>;
  descending: boolean;
  page: number;
  perPage: number;
  offset: number;
}

export function readLogListQuery(q: RawQuery): LogListRequest {
  onlySupported(q, LOG_LIST_PARAMS);
  const sort = text(q, 'sort') ?? 'timestamp';
  if (!(LOG_SORTS as readonly string[]).includes(sort)) throw unsupported('sort', sort, LOG_SORTS);
  return {
    taskRunIds: list(q, 'filter[flow_step_id]', uuidOf('filter[flow_step_id]')),
    include: includes(q, LOG_INCLUDES),
    descending: sort === '-timestamp',
    ...paging(q),
  };
}

const LEVEL_NAMES: Record<number, string> = { 10: 'DEBUG', 20: 'INFO', 30: 'WARNING', 40: 'ERROR', 50: 'CRITICAL' };

/** Python's `logging.getLevelName`: the standard names, else `Level N`. */
export function levelName(level: number): string {
  return LEVEL_NAMES[level] ?? `Level ${level}`;
}

/** A run as an included relationship: `{id, name, status}`. */
export const runRefSchema = named('RunRef', object({ id: uuid(), name: str(), status: orNull(str()) }));

/** The log item, as `renderLogItem` writes it, with its relationships when included. */
export const logItemSchema = named(
  'FlowRunLog',
  object({
    id: uuid(),
    flow_run_id: orNull(uuid()),
    flow_step_id: orNull(uuid()),
    level: int(),
    level_name: str(),
    logger: str(),
    message: str(),
    timestamp: datetime(),
    flowStep: optional(orNull(object({ id: uuid(), name: orNull(str()) }))),
    flowRun: optional(runRefSchema),
  }),
);

export function renderLogItem(row: LogRow): Record<string, unknown> {
  return {
    id: row.id,
    flow_run_id: row.flow_run_id,
    flow_step_id: row.task_run_id,
    level: row.level,
    level_name: levelName(row.level),
    logger: row.name,
    message: row.message,
    timestamp: formatMicros(row.timestamp),
  };
}
