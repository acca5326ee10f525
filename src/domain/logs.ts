/** Logs: Prefect's `LogCreate`, `Log`, `LogFilter` and `LogSort`, with Sightline's internal row. */

import { array, bool, type Infer, int, keyText, literal, named, object, optional, orNull, str } from '../lib/schema.ts';
import { uuid } from './ids.ts';
import { TEXT_QUERY_MAX } from './text-query.ts';
import { datetime, formatMicros, type Micros } from './time.ts';

export const LOG_LIMIT_DEFAULT = 200;
export const LOG_LIMIT_MAX = 200;
/** Prefect Cloud caps `offset` of `/logs/filter` at 20,000; open-source paths do not. */
export const LOG_OFFSET_MAX_CLOUD = 20_000;

export const logCreateSchema = object({
  name: keyText(),
  level: int(),
  message: str(),
  timestamp: datetime(),
  flow_run_id: optional(uuid()),
  task_run_id: optional(uuid()),
  worker_id: optional(uuid()),
});
export type LogCreate = Infer<typeof logCreateSchema>;
export const logBatchSchema = array(logCreateSchema);

/** A log as stored: `seq` is the insertion order within the database, the tie-break of every sort. */
export interface LogRow {
  seq: number;
  id: string;
  created: Micros;
  name: string;
  level: number;
  message: string;
  timestamp: Micros;
  flow_run_id: string | null;
  task_run_id: string | null;
  worker_id: string | null;
}

/**
 * A log ready to be appended (everything but `seq`, which the store assigns). `otlp` marks an OTLP
 * log record: the append records its id in the same transaction (ADR 41), and, with `waitFor`, that
 * it waits for that OTel span (UUID form) to join a run until `until` (ADR 48).
 */
export type NewLog = Omit<LogRow, 'seq'> & { workspaceId: string; otlp?: OtlpLogMark };

export interface OtlpLogMark {
  waitFor?: { spanId: string; until: Micros };
}

const idAny = object({ any_: optional(array(uuid())) });

export const logFilterSchema = object({
  operator: optional(literal(['and_', 'or_'] as const), () => 'and_' as const),
  level: optional(object({ ge_: optional(int()), le_: optional(int()) })),
  timestamp: optional(object({ before_: optional(datetime()), after_: optional(datetime()) })),
  flow_run_id: optional(idAny),
  task_run_id: optional(object({ any_: optional(array(uuid())), is_null_: optional(bool()) })),
  worker_id: optional(
    object({ any_: optional(array(uuid())), is_null_: optional(bool()), not_any_: optional(array(uuid())) }),
  ),
  loggers: optional(object({ any_: optional(array(str())) })),
  text: optional(object({ query: str({ max: TEXT_QUERY_MAX }) })),
});
export type LogFilter = Infer<typeof logFilterSchema>;

export const LOG_SORTS = ['TIMESTAMP_ASC', 'TIMESTAMP_DESC'] as const;
export type LogSort = (typeof LOG_SORTS)[number];
export const logSortSchema = literal(LOG_SORTS);

/** A position in `(timestamp, seq)` order: reads continue strictly after it in the chosen direction. */
export interface LogCursor {
  timestamp: Micros;
  seq: number;
}

export interface LogQuery {
  filter: LogFilter;
  sort: LogSort;
  limit: number;
  offset: number;
  after?: LogCursor;
}

/** `Log`, as `renderLog` writes it. */
export const logSchema = named(
  'Log',
  object({
    id: uuid(),
    created: datetime(),
    updated: datetime(),
    name: str(),
    level: int(),
    message: str(),
    timestamp: datetime(),
    flow_run_id: orNull(uuid()),
    task_run_id: orNull(uuid()),
    worker_id: orNull(uuid()),
  }),
);

/** The `Log` object as Prefect renders it. `worker_id` is Cloud's extra field, null when unset. */
export function renderLog(row: LogRow): Record<string, unknown> {
  const created = formatMicros(row.created);
  return {
    id: row.id,
    created,
    updated: created,
    name: row.name,
    level: row.level,
    message: row.message,
    timestamp: formatMicros(row.timestamp),
    flow_run_id: row.flow_run_id,
    task_run_id: row.task_run_id,
    worker_id: row.worker_id,
  };
}
