/**
 * Prefect's run history (`POST /flow_runs/history`, `/task_runs/history`): runs bucketed by their
 * expected start time into intervals, counted per state with their summed run time and lateness.
 */

import { array, int, named, num, object, optional, str } from '../../lib/schema.ts';
import { invalidField } from '../errors.ts';
import { datetime, formatMicros, type Micros } from '../time.ts';
import { seconds } from './common.ts';
import {
  deploymentFilterSchema,
  flowFilterSchema,
  flowRunFilterSchema,
  type RunFilterSet,
  taskRunFilterSchema,
  workPoolFilterSchema,
  workQueueFilterSchema,
} from './filters.ts';
import { type StateType, stateTypeSchema } from './states.ts';

/** Prefect returns at most this many intervals. */
export const HISTORY_MAX_INTERVALS = 500;

export const historyBodySchema = object(
  {
    history_start: datetime(),
    history_end: datetime(),
    history_interval_seconds: num(),
    flows: optional(flowFilterSchema),
    flow_runs: optional(flowRunFilterSchema),
    task_runs: optional(taskRunFilterSchema),
    deployments: optional(deploymentFilterSchema),
    work_pools: optional(workPoolFilterSchema),
    work_queues: optional(workQueueFilterSchema),
  },
  { extra: 'ignore' },
);

export interface HistoryQuery {
  filters: RunFilterSet;
  /** The time runs are bucketed by (Prefect's history: the expected start). */
  by: 'expected_start_time' | 'start_time';
  start: Micros;
  /** Exclusive; the last interval may end past it. */
  end: Micros;
  interval: Micros;
  now: Micros;
}

/** One (interval, state) group: `bucket` is the interval's index from `start`. */
export interface HistoryRow {
  bucket: number;
  state_type: StateType;
  state_name: string;
  count: number;
  /** Summed estimated run time and lateness, microseconds. */
  runTime: Micros;
  lateness: Micros;
}

/** What runs may be counted by (`/ui/task_runs/count`, `/ui/flow_runs/count-task-runs`). */
export type RunCountColumn = 'state_type' | 'flow_run_id';

/** The store query of a parsed body (422 for an interval under a second, as Prefect). */
export function historyQueryOf(
  body: {
    history_start: Micros;
    history_end: Micros;
    history_interval_seconds: number;
    flows?: RunFilterSet['flows'];
    flow_runs?: RunFilterSet['flow_runs'];
    task_runs?: RunFilterSet['task_runs'];
    deployments?: RunFilterSet['deployments'];
    work_pools?: RunFilterSet['work_pools'];
    work_queues?: RunFilterSet['work_pool_queues'];
  },
  now: Micros,
): HistoryQuery {
  if (!(body.history_interval_seconds >= 1))
    throw invalidField(['body', 'history_interval_seconds'], 'History interval must not be less than 1 second.');
  const interval = Math.round(body.history_interval_seconds * 1_000_000);
  // Only the intervals Prefect returns are read.
  const end = Math.min(body.history_end, body.history_start + interval * HISTORY_MAX_INTERVALS);
  return {
    by: 'expected_start_time',
    filters: {
      flows: body.flows,
      flow_runs: body.flow_runs,
      task_runs: body.task_runs,
      deployments: body.deployments,
      work_pools: body.work_pools,
      work_pool_queues: body.work_queues,
    },
    start: body.history_start,
    end,
    interval,
    now,
  };
}

/** `HistoryResponse`, as `renderHistory` writes each interval. */
export const historySchema = named(
  'HistoryInterval',
  object({
    interval_start: datetime(),
    interval_end: datetime(),
    states: array(
      object({
        state_type: stateTypeSchema,
        state_name: str(),
        count_runs: int({ min: 0 }),
        sum_estimated_run_time: num(),
        sum_estimated_lateness: num(),
      }),
    ),
  }),
);

/** `HistoryResponse[]`: every interval from start until end (at most 500), states by type then name. */
export function renderHistory(q: HistoryQuery, rows: HistoryRow[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let i = 0, t = q.start; t < q.end && i < HISTORY_MAX_INTERVALS; i++, t += q.interval) {
    const states = rows
      .filter((r) => r.bucket === i)
      .sort((a, b) => (a.state_type + a.state_name < b.state_type + b.state_name ? -1 : 1))
      .map((r) => ({
        state_type: r.state_type,
        state_name: r.state_name,
        count_runs: r.count,
        sum_estimated_run_time: seconds(r.runTime),
        sum_estimated_lateness: seconds(r.lateness),
      }));
    out.push({ interval_start: formatMicros(t), interval_end: formatMicros(t + q.interval), states });
  }
  return out;
}
