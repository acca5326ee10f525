/**
 * The small views Prefect's `/ui/...` routes answer with (`SimpleFlowRun`, `SimpleNextFlowRun`)
 * and the bodies those routes take.
 */

import { array, int, named, num, object, optional, orNull, str } from '../../lib/schema.ts';
import { uuid } from '../ids.ts';
import { datetime, formatMicros, formatNullable, type Micros } from '../time.ts';
import { estimatedRunTime, estimatedStartTimeDelta } from './bookkeeping.ts';
import { seconds } from './common.ts';
import type { FlowRunRow } from './flow-runs.ts';
import { stateTypeSchema } from './states.ts';

/** Prefect caps the id lists of `count-task-runs`, `count-deployments` and `next-runs` at 200. */
export const UI_MAX_IDS = 200;

export const flowRunIdsBodySchema = object({ flow_run_ids: array(uuid(), { max: UI_MAX_IDS }) }, { extra: 'ignore' });
export const flowIdsBodySchema = object({ flow_ids: array(uuid(), { max: UI_MAX_IDS }) }, { extra: 'ignore' });

export const simpleFlowRunSchema = named(
  'SimpleFlowRun',
  object({
    id: uuid(),
    state_type: orNull(stateTypeSchema),
    timestamp: orNull(datetime()),
    duration: num(),
    lateness: num(),
  }),
);

export const nextFlowRunSchema = named(
  'SimpleNextFlowRun',
  object({
    id: uuid(),
    flow_id: uuid(),
    name: str(),
    state_name: orNull(str()),
    state_type: orNull(stateTypeSchema),
    next_scheduled_start_time: orNull(datetime()),
  }),
);

/** `SimpleFlowRun`: timestamp is the start, or the expected start of a run not started. */
export function renderSimpleFlowRun(r: FlowRunRow, now: Micros): Record<string, unknown> {
  return {
    id: r.id,
    state_type: r.state_type,
    timestamp: formatNullable(r.start_time ?? r.expected_start_time),
    duration: seconds(estimatedRunTime(r, now)),
    lateness: seconds(estimatedStartTimeDelta(r, now)),
  };
}

/** `SimpleNextFlowRun`. */
export function renderNextFlowRun(r: FlowRunRow): Record<string, unknown> {
  return {
    id: r.id,
    flow_id: r.flow_id,
    name: r.name,
    state_name: r.state_name,
    state_type: r.state_type,
    next_scheduled_start_time: r.next_scheduled_start_time === null ? null : formatMicros(r.next_scheduled_start_time),
  };
}

/** `POST /ui/flow_runs/history` caps its page at 1,000 runs (and defaults to it). */
export const UI_HISTORY_LIMIT_MAX = 1000;
export const uiHistoryLimit = () => optional(int({ min: 0, max: UI_HISTORY_LIMIT_MAX }), () => UI_HISTORY_LIMIT_MAX);
