/**
 * The waterfall's state markers: the latest state changes of the spans on screen, one request for
 * a screenful (flow-run and task-run spans each read their run's history; artifacts have none).
 */
import { STATE_CHANGES_PER_SPAN, type StateChanges } from '../../domain/spans/state-changes.ts';
import { type OpContext, storeOf } from '../context.ts';
import { ensureTrace } from '../traces/read-spans.ts';

/** `{span id: its state changes}` for the spans of the trace among `spanIds`; 404 for an unknown trace. */
export async function spanStateChanges(
  ctx: OpContext,
  traceId: string,
  spanIds: string[],
): Promise<Map<string, StateChanges>> {
  await ensureTrace(ctx, traceId);
  const store = storeOf(ctx.services);
  const ws = ctx.workspace.id;
  const spans = await store.spans.getMany(ws, traceId, spanIds);
  const idsOf = (type: string) => spans.filter((s) => s.span_type === type).map((s) => s.span_id);
  const [flows, tasks] = await Promise.all([
    store.flowRuns.stateChanges(ws, idsOf('flow-run'), STATE_CHANGES_PER_SPAN),
    store.taskRuns.stateChanges(ws, idsOf('task-run'), STATE_CHANGES_PER_SPAN),
  ]);
  return new Map([...flows, ...tasks]);
}
