/**
 * Subflow linkage (Prefect's `UpdateSubflowStateDetails` and `UpdateSubflowParentTask`). The client
 * creates a "tracking" task run in the parent flow run, never moves it, and starts the subflow
 * with `parent_task_run_id` set; the server keeps the two in step: the subflow's states name the
 * tracking task run, and the tracking task run takes a copy of every state the subflow enters.
 */
import type { Micros } from '../time.ts';
import { nextStateTimestamp } from './bookkeeping.ts';
import type { ProposedState, StateRow } from './states.ts';

/** A subflow's state points at its tracking task run. */
export function withSubflowDetails<S extends ProposedState>(
  state: S,
  flowRunId: string,
  parentTaskRunId: string | null,
): S {
  const details = { ...state.state_details, flow_run_id: flowRunId };
  if (parentTaskRunId !== null) details.task_run_id = parentTaskRunId;
  return { ...state, state_details: details };
}

/** The state the tracking task run takes when its subflow enters `subflowState`. */
export function trackingTaskState(
  subflowId: string,
  subflowState: StateRow,
  taskRun: { id: string; flow_run_id: string | null; state: { timestamp: Micros } | null },
  id: string,
  now: Micros,
): StateRow {
  return {
    id,
    timestamp: nextStateTimestamp(now, taskRun.state),
    type: subflowState.type,
    name: subflowState.name,
    message: subflowState.message,
    data: subflowState.data,
    state_details: {
      ...subflowState.state_details,
      flow_run_id: taskRun.flow_run_id,
      task_run_id: taskRun.id,
      child_flow_run_id: subflowId,
    },
  };
}
