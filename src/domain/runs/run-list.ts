/**
 * The flow-run list of the management API (`/api/v1/flow-runs`): what it filters on and what each
 * row carries besides the run (its flow's name, parent, newest retry and log level counters).
 */
import type { Micros } from '../time.ts';
import type { FlowRunRow } from './flow-runs.ts';
import type { StateType } from './states.ts';

/** How a run came to be: a retry, a deployment's run, or any other client call. */
export type Trigger = 'manual' | 'retry' | 'deployment';
export const TRIGGERS: readonly Trigger[] = ['manual', 'retry', 'deployment'];

export interface RunListQuery {
  /** Only these runs (a single-run read). */
  ids?: string[];
  /** Runs whose id starts with this (lower-case hex, at least 8 characters: an agent's short id). */
  idPrefix?: string;
  flowIds?: string[];
  stateTypes?: StateType[];
  triggers?: Trigger[];
  /** State names, any of them (`Retrying`, `AwaitingRetry`, …); with `stateTypes`, either matches. */
  stateNames?: string[];
  /** Runs carrying any of these tags. */
  tags?: string[];
  /** Case-insensitive substring of the run's or its flow's name. */
  search?: string;
  /** Case-insensitive substring of the flow's name. */
  flowName?: string;
  /** Only runs that are not subflows (no tracking task run). */
  rootsOnly?: boolean;
  /** Start time ≥ this; a run that never started matches no time bound. */
  startedFrom?: Micros;
  /** Start time < this. */
  startedBefore?: Micros;
  /** Has (not) been retried. */
  retried?: boolean;
  /** Has (no) log at WARNING level or above. */
  hasWarnings?: boolean;
  /** By start time, newest first unless false; runs that never started last; ties by id. */
  descending: boolean;
  limit: number;
  offset: number;
}

export interface RunListRow {
  run: FlowRunRow;
  flowName: string;
  /** The flow run of the task run that tracks this subflow run. */
  parentFlowRunId: string | null;
  /** The newest retry of this run, with its state type. */
  retriedBy: { id: string; stateType: StateType | null } | null;
  /** Logs at WARNING level (30–39) and at ERROR or above (≥ 40). */
  warnings: number;
  errors: number;
}

export function triggerOf(run: Pick<FlowRunRow, 'retry_of' | 'deployment_id'>): Trigger {
  if (run.retry_of) return 'retry';
  return run.deployment_id ? 'deployment' : 'manual';
}
