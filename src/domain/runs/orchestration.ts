/**
 * The orchestration policy for proposed run states (Prefect's core flow and task policies, the
 * part a client running flows meets): a pure decision from the run's current state and the
 * proposal. Forced proposals skip every rule; bookkeeping (`bookkeeping.ts`) applies to whatever
 * state is written either way.
 */
import { MICROS_PER_SECOND, type Micros } from '../time.ts';
import { isTerminal, makeState, type ProposedState, type StateRow, type StateType } from './states.ts';

export type OrchestrationStatus = 'ACCEPT' | 'REJECT' | 'ABORT' | 'WAIT';

export type Decision =
  /** Write `state` (the proposal, possibly renamed or completed). */
  | { status: 'ACCEPT'; state: ProposedState; patch?: PolicyPatch }
  /** Keep the current state (`state` absent), or write `state` instead of the proposal. */
  | { status: 'REJECT'; reason: string; state?: ProposedState; patch?: PolicyPatch }
  | { status: 'ABORT'; reason: string }
  | { status: 'WAIT'; reason: string; delaySeconds: number };

/** Changes the policy decides on the run's `empirical_policy` (flow-run retries). */
export interface PolicyPatch {
  retry_type?: 'in_process' | null;
  resuming?: boolean;
  pause_keys?: string[];
}

export interface OrchestrationInput {
  kind: 'flow_run' | 'task_run';
  current: StateRow | null;
  proposed: ProposedState;
  force: boolean;
  now: Micros;
  /** The run's `run_count` before this transition. */
  runCount: number;
  retries: number | null;
  /** Seconds; a task may give one delay per retry. */
  retryDelay: number | number[] | null;
  /** Task runs: the type of the enclosing flow run's state; null when it has none, undefined when unknown. */
  flowRunStateType?: StateType | null;
}

export function orchestrate(input: OrchestrationInput): Decision {
  const { current, force, now } = input;
  let proposed = input.proposed;
  if (force || !current) return { status: 'ACCEPT', state: proposed };
  const from = current.type;
  const to = proposed.type;

  // PreventDuplicateTransitions: a retried request must not write its state twice.
  const tid = proposed.state_details.transition_id;
  if (tid !== null && tid === current.state_details.transition_id) {
    return { status: 'REJECT', reason: 'This run has already made this state transition.' };
  }

  // Cancellation wins over everything the run itself proposes.
  if (from === 'CANCELLED') return { status: 'ABORT', reason: 'This run has been cancelled.' };
  if (from === 'CANCELLING' && to !== 'CANCELLED') {
    return { status: 'ABORT', reason: 'This run is being cancelled and can only transition to CANCELLED.' };
  }

  // Terminal states are left only with force=true.
  if (isTerminal(from)) {
    if (to === 'PAUSED' || to === 'CANCELLING' || to === 'CRASHED')
      return { status: 'ABORT', reason: `Run is already ${from}.` };
    return {
      status: 'REJECT',
      reason: `This run is already in a terminal state (${from}); only a forced transition can leave it.`,
    };
  }

  // PreventPendingTransitions (named PENDING sub-states such as Submitting are allowed).
  if (to === 'PENDING' && (from === 'PENDING' || from === 'RUNNING' || from === 'CANCELLING')) {
    const named = proposed.name !== 'Pending' && proposed.name !== current.name;
    if (!(named && from === 'PENDING')) {
      return { status: 'ABORT', reason: `This run is in a ${from} state and cannot transition to a PENDING state.` };
    }
  }

  // PreventRunningTasksFromStoppedFlows.
  if (
    input.kind === 'task_run' &&
    to === 'RUNNING' &&
    input.flowRunStateType !== undefined &&
    input.flowRunStateType !== 'RUNNING'
  ) {
    return { status: 'ABORT', reason: 'The enclosing flow must be running to begin task execution.' };
  }

  // CopyScheduledTime: a PENDING state keeps the time its SCHEDULED state waited for.
  if (from === 'SCHEDULED' && to === 'PENDING' && proposed.state_details.scheduled_time === null) {
    proposed = {
      ...proposed,
      state_details: { ...proposed.state_details, scheduled_time: current.state_details.scheduled_time },
    };
  }

  // WaitForScheduledTime.
  if ((from === 'SCHEDULED' || from === 'PENDING') && to === 'RUNNING') {
    const at = current.state_details.scheduled_time;
    if (at !== null && at > now) {
      return {
        status: 'WAIT',
        reason: 'Scheduled time is in the future',
        delaySeconds: Math.ceil((at - now) / MICROS_PER_SECOND),
      };
    }
  }

  // RetryFailedFlows / RetryFailedTasks.
  if (from === 'RUNNING' && to === 'FAILED') {
    const retry = retryDecision(input, proposed);
    if (retry) return retry;
  }

  // RenameReruns: a run that ran before re-enters RUNNING as Retrying (after AwaitingRetry) or Rerunning.
  if (to === 'RUNNING' && input.runCount > 0 && proposed.name === 'Running') {
    proposed = { ...proposed, name: current.name === 'AwaitingRetry' ? 'Retrying' : 'Rerunning' };
  }

  return { status: 'ACCEPT', state: proposed };
}

function retryDecision(input: OrchestrationInput, proposed: ProposedState): Decision | undefined {
  const { retries, runCount, now } = input;
  if (input.kind === 'task_run' && proposed.state_details.retriable === false) return undefined;
  if (retries === null || runCount > retries) {
    return input.kind === 'flow_run' ? { status: 'ACCEPT', state: proposed, patch: { retry_type: null } } : undefined;
  }
  let delay = input.retryDelay;
  if (Array.isArray(delay)) delay = delay.length ? delay[Math.min(Math.max(runCount - 1, 0), delay.length - 1)] : 0;
  const scheduled = now + Math.round((delay ?? 0) * MICROS_PER_SECOND);
  const state = makeState('SCHEDULED', {
    name: 'AwaitingRetry',
    message: proposed.message,
    data: proposed.data,
    details: { scheduled_time: scheduled },
  });
  const patch: PolicyPatch | undefined =
    input.kind === 'flow_run' ? { retry_type: 'in_process', resuming: false, pause_keys: [] } : undefined;
  return { status: 'REJECT', reason: 'Retrying', state, patch };
}

/** A SCHEDULED state without a scheduled time is scheduled for now (Prefect's `State` default). */
export function withScheduledTime(state: ProposedState, now: Micros): ProposedState {
  if (state.type !== 'SCHEDULED' || state.state_details.scheduled_time !== null) return state;
  return { ...state, state_details: { ...state.state_details, scheduled_time: now } };
}
