/**
 * `POST /flow_runs/{id}/set_state` and `POST /task_runs/{id}/set_state`: orchestrate a proposed
 * state (`domain/runs/orchestration.ts`), then write it compare-and-set; a run that changed state
 * in between is decided again. Flow-run transitions emit their event; task-run ones do not.
 */
import { AppError } from '../../domain/errors.ts';
import { uuid7 } from '../../domain/ids.ts';
import { nextStateTimestamp } from '../../domain/runs/bookkeeping.ts';
import { type OrchestrationInput, orchestrate, withScheduledTime } from '../../domain/runs/orchestration.ts';
import { makeState, type ProposedState, type StateRow } from '../../domain/runs/states.ts';
import { STOPPED, wasStopped } from '../../domain/runs/stop.ts';
import { withSubflowDetails } from '../../domain/runs/subflows.ts';
import { type Micros, nowMicros } from '../../domain/time.ts';
import { type OpContext, storeOf } from '../context.ts';
import { emitFlowRunStateEvent } from './flow-run-events.ts';
import { orchestrationResult, type SetStateResult } from './orchestration-result.ts';

export interface SetStateInput {
  state: ProposedState;
  force: boolean;
  /** Cloud's `emit_event`: false suppresses the flow-run event. */
  emit_event?: boolean;
}

/** Attempts before giving up on a run whose state keeps changing under us. */
const MAX_ATTEMPTS = 20;

interface RunState {
  state: StateRow | null;
  run_count: number;
  empirical_policy: { retries: OrchestrationInput['retries']; retry_delay: OrchestrationInput['retryDelay'] };
}

/** Orchestrates the proposal against the run's current state: the decision and the state it chose. */
function decide(
  kind: OrchestrationInput['kind'],
  run: RunState,
  input: SetStateInput,
  now: Micros,
  flowRunStateType?: OrchestrationInput['flowRunStateType'],
) {
  const decision = orchestrate({
    kind,
    current: run.state,
    proposed: withScheduledTime(input.state, now),
    force: input.force,
    now,
    runCount: run.run_count,
    retries: run.empirical_policy.retries,
    retryDelay: run.empirical_policy.retry_delay,
    ...(kind === 'task_run' ? { flowRunStateType } : {}),
  });
  const chosen = decision.status === 'ACCEPT' || decision.status === 'REJECT' ? decision.state : undefined;
  return { decision, chosen };
}

export async function setFlowRunState(ctx: OpContext, id: string, input: SetStateInput): Promise<SetStateResult> {
  const store = storeOf(ctx.services);
  const ws = ctx.workspace.id;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const run = await store.flowRuns.get(ws, id);
    if (!run) throw new AppError('not_found', `Flow run with id ${id} not found`);
    const now = nowMicros();
    const { decision, chosen } = decide('flow_run', run, input, now);
    if (!chosen && decision.status === 'ABORT' && wasStopped(run.state)) return finishStop(ctx, id);
    if (!chosen) return orchestrationResult(decision, run.state, false);
    const state: StateRow = {
      ...withSubflowDetails(withScheduledTime(chosen, now), run.id, run.parent_task_run_id),
      id: uuid7(),
      timestamp: nextStateTimestamp(now, run.state),
    };
    const patch = decision.status === 'ACCEPT' || decision.status === 'REJECT' ? decision.patch : undefined;
    const w = await store.flowRuns.writeState(ws, id, {
      expectedStateId: run.state_id,
      state,
      empiricalPolicy: patch ? { ...run.empirical_policy, ...patch } : undefined,
    });
    if (w.outcome === 'conflict') continue;
    if (w.outcome === 'not_found') throw new AppError('not_found', `Flow run with id ${id} not found`);
    if (input.emit_event !== false) await emitFlowRunStateEvent(ctx, w.run, w.previous, state, input.state.type);
    return orchestrationResult(decision, state, true);
  }
  throw new AppError('conflict', `Flow run ${id} kept changing state while this one was proposed; propose it again.`);
}

/**
 * A stopped run's client proposed something other than CANCELLED: it is told to abort, and the
 * server sets CANCELLED itself (the stop is done; nothing would otherwise end it).
 */
async function finishStop(ctx: OpContext, id: string): Promise<SetStateResult> {
  await setFlowRunState(ctx, id, { state: makeState('CANCELLED', { message: STOPPED }), force: true });
  const run = await storeOf(ctx.services).flowRuns.get(ctx.workspace.id, id);
  return orchestrationResult({ status: 'ABORT', reason: STOPPED }, run?.state ?? null, false);
}

export async function setTaskRunState(ctx: OpContext, id: string, input: SetStateInput): Promise<SetStateResult> {
  const store = storeOf(ctx.services);
  const ws = ctx.workspace.id;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const run = await store.taskRuns.get(ws, id);
    if (!run) throw new AppError('not_found', `Task run with id ${id} not found`);
    const flowRun = run.flow_run_id ? await store.flowRuns.get(ws, run.flow_run_id) : undefined;
    const now = nowMicros();
    const { decision, chosen } = decide('task_run', run, input, now, flowRun ? flowRun.state_type : undefined);
    if (!chosen) return orchestrationResult(decision, run.state, false);
    const scheduled = withScheduledTime(chosen, now);
    const state: StateRow = {
      ...scheduled,
      state_details: { ...scheduled.state_details, flow_run_id: run.flow_run_id, task_run_id: run.id },
      id: uuid7(),
      timestamp: nextStateTimestamp(now, run.state),
    };
    // Prefect's UpdateFlowRunTrackerOnTasks: an unforced RUNNING records the flow run's run count.
    const flowRunRunCount = !input.force && state.type === 'RUNNING' && flowRun ? flowRun.run_count : undefined;
    const w = await store.taskRuns.writeState(ws, id, { expectedStateId: run.state_id, state, flowRunRunCount });
    if (w.outcome === 'conflict') continue;
    if (w.outcome === 'not_found') throw new AppError('not_found', `Task run with id ${id} not found`);
    return orchestrationResult(decision, state, true);
  }
  throw new AppError('conflict', `Task run ${id} kept changing state while this one was proposed; propose it again.`);
}
