/**
 * What Sightline's web UI asks of a run's logs beyond Prefect's routes: per-run counters, a
 * level histogram over the run, the position of one log in a filtered list.
 */
import { array, bool, int, literal, object, optional, str } from '../lib/schema.ts';
import { uuid } from './ids.ts';
import { LOG_LIMIT_MAX, LOG_SORTS } from './logs.ts';
import { TEXT_QUERY_MAX } from './text-query.ts';
import { datetime } from './time.ts';

/** A run's log filter as the viewer sets it (text search aside: counting text matches would scan). */
const runLogFilterShape = {
  level: optional(object({ ge_: optional(int()), le_: optional(int()) })),
  loggers: optional(object({ any_: optional(array(str({ max: 500 }), { max: 200 })) })),
  task_run_id: optional(object({ any_: optional(array(uuid(), { max: 200 })), is_null_: optional(bool()) })),
  timestamp: optional(object({ before_: optional(datetime()), after_: optional(datetime()) })),
};
export const runLogFilterSchema = object(runLogFilterShape);

export const logCountsBodySchema = object({ flow_run_ids: array(uuid(), { max: 200 }) });

export const HISTOGRAM_BUCKETS_MAX = 500;
export const logHistogramBodySchema = object({
  logs: optional(runLogFilterSchema),
  buckets: optional(int({ min: 1, max: HISTOGRAM_BUCKETS_MAX }), () => 120),
});

export const logPositionBodySchema = object({
  log_id: uuid(),
  logs: optional(runLogFilterSchema),
  sort: optional(literal(LOG_SORTS), () => 'TIMESTAMP_ASC' as const),
});

/** Python's level classes, as the viewer colours them. */
export const LEVEL_CLASSES = ['debug', 'info', 'warning', 'error', 'critical'] as const;
export type LevelClass = (typeof LEVEL_CLASSES)[number];

export function levelClass(level: number): LevelClass {
  if (level >= 50) return 'critical';
  if (level >= 40) return 'error';
  if (level >= 30) return 'warning';
  if (level >= 20) return 'info';
  return 'debug';
}

/**
 * A page of one run's logs at any offset (Cloud paths cap `/logs/filter` offsets; a viewer's
 * scrollbar spans the whole run), with a text search over the whole run.
 */
export const runLogPageBodySchema = object({
  logs: optional(
    object({
      ...runLogFilterShape,
      text: optional(object({ query: str({ max: TEXT_QUERY_MAX }) })),
    }),
  ),
  sort: optional(literal(LOG_SORTS), () => 'TIMESTAMP_ASC' as const),
  offset: optional(int({ min: 0 }), () => 0),
  limit: optional(int({ min: 0, max: LOG_LIMIT_MAX }), () => LOG_LIMIT_MAX),
});
