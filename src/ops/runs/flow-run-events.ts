/** Emits `prefect.flow-run.<State>` for an accepted flow-run transition (reference §7.8). */
import type { FlowRunRow } from '../../domain/runs/flow-runs.ts';
import { flowRunStateEvent } from '../../domain/runs/run-events.ts';
import type { StateRow, StateType } from '../../domain/runs/states.ts';
import { type OpContext, storeOf } from '../context.ts';

export async function emitFlowRunStateEvent(
  ctx: OpContext,
  run: FlowRunRow,
  previous: StateRow | null,
  state: StateRow,
  intendedType: StateType,
): Promise<void> {
  const store = storeOf(ctx.services);
  const { eventSink } = ctx.services;
  const ws = ctx.workspace.id;
  const [flow, parent] = await Promise.all([
    store.flows.get(ws, run.flow_id),
    run.parent_task_run_id ? store.taskRuns.get(ws, run.parent_task_run_id) : undefined,
  ]);
  const event = flowRunStateEvent({ run, flow, parentTaskRun: parent, previous, state, intendedType });
  try {
    await eventSink.emit(ctx.workspace, [event]);
  } catch (err) {
    // The state is committed; the client must see its transition succeed. The lost event is logged.
    ctx.services.log.error({ err, event: event.event, id: event.id }, 'could not record a flow-run state event');
  }
}
