/**
 * Run bookkeeping: what every accepted state transition does to a run's denormalised fields
 * (Prefect's global orchestration transforms, `S/orchestration/global_policy.py`). Pure: the same
 * function runs for forced and unforced transitions, flow runs and task runs, on every engine.
 */
import type { Micros } from '../time.ts';
import { isTerminal, type StateRow, type StateType } from './states.ts';

/** The fields bookkeeping maintains, common to flow runs and task runs. */
export interface RunTiming {
  state_id: string | null;
  state_type: StateType | null;
  state_name: string | null;
  state_timestamp: Micros | null;
  run_count: number;
  expected_start_time: Micros | null;
  next_scheduled_start_time: Micros | null;
  start_time: Micros | null;
  end_time: Micros | null;
  /** Microseconds spent in RUNNING states, accumulated when a RUNNING state is left. */
  total_run_time: Micros;
}

export function emptyTiming(): RunTiming {
  return {
    state_id: null,
    state_type: null,
    state_name: null,
    state_timestamp: null,
    run_count: 0,
    expected_start_time: null,
    next_scheduled_start_time: null,
    start_time: null,
    end_time: null,
    total_run_time: 0,
  };
}

/**
 * The run's timing after `next` replaces `prev` as its current state. `countRun` is false when
 * entering RUNNING must not count as a new run (a flow resuming from a pause).
 */
export function applyTransition(
  run: RunTiming,
  prev: StateRow | null,
  next: StateRow,
  countRun = prev?.type !== 'PAUSED',
): RunTiming {
  const out: RunTiming = { ...run };
  out.state_id = next.id;
  out.state_type = next.type;
  out.state_name = next.name;
  out.state_timestamp = next.timestamp;
  if (next.type === 'RUNNING' && out.start_time === null) out.start_time = next.timestamp;
  if (prev && isTerminal(prev.type) && !isTerminal(next.type)) out.end_time = null;
  if (isTerminal(next.type)) {
    out.end_time = next.timestamp;
    // A run that ends without ever running still gets a start (reference §7.4).
    if (out.start_time === null) out.start_time = next.timestamp;
  }
  if (prev && prev.type === 'RUNNING') out.total_run_time += Math.max(0, next.timestamp - prev.timestamp);
  if (out.expected_start_time === null) {
    out.expected_start_time =
      next.type === 'SCHEDULED' ? (next.state_details.scheduled_time ?? next.timestamp) : next.timestamp;
  }
  if (prev && prev.type === 'SCHEDULED') out.next_scheduled_start_time = null;
  if (next.type === 'SCHEDULED') out.next_scheduled_start_time = next.state_details.scheduled_time;
  if (next.type === 'RUNNING' && countRun) out.run_count += 1;
  return out;
}

/** `estimated_run_time`: total run time plus the time spent so far in a current RUNNING state. */
export function estimatedRunTime(run: RunTiming, now: Micros): Micros {
  if (run.state_type === 'RUNNING' && run.state_timestamp !== null) {
    return run.total_run_time + Math.max(0, now - run.state_timestamp);
  }
  return run.total_run_time;
}

/** `estimated_start_time_delta`: lateness of the start, or of a run that should have started. */
export function estimatedStartTimeDelta(run: RunTiming, now: Micros): Micros {
  if (run.start_time !== null && run.expected_start_time !== null && run.start_time > run.expected_start_time) {
    return run.start_time - run.expected_start_time;
  }
  if (
    run.start_time === null &&
    run.expected_start_time !== null &&
    run.expected_start_time < now &&
    !isTerminal(run.state_type)
  ) {
    return now - run.expected_start_time;
  }
  return 0;
}

/** A state timestamp for a new state: now, nudged past the current state so history stays ordered. */
export function nextStateTimestamp(now: Micros, current: { timestamp: Micros } | null): Micros {
  return current && current.timestamp >= now ? current.timestamp + 1 : now;
}
