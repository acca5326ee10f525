/**
 * The one place log operations ask whether a flow run exists and what it is called. Logs are
 * keyed by `flow_run_id` alone (Prefect accepts logs for runs it never saw), so a run is known
 * when the run store has it (with its name) or when it has logs.
 */
import { type OpContext, storeOf } from '../context.ts';

export interface FlowRunRef {
  id: string;
  /** The flow run's name, when Sightline knows the run itself (not only its logs). */
  name: string | null;
}

export async function findFlowRunForLogs(ctx: OpContext, flowRunId: string): Promise<FlowRunRef | undefined> {
  const store = storeOf(ctx.services);
  const run = await store.flowRuns.get(ctx.workspace.id, flowRunId);
  if (run) return { id: flowRunId, name: run.name };
  const stats = await store.logs.runStats(ctx.workspace.id, flowRunId);
  return stats ? { id: flowRunId, name: null } : undefined;
}
