/**
 * The one place log operations ask whether a flow run exists and what it is called. Logs are
 * keyed by `flow_run_id` alone (Prefect accepts logs for runs it never saw), so a run is known
 * when it has logs. When flow runs are recorded, this also asks the run store — and a run with
 * no logs yet becomes known too, with its name.
 */
import type { OpContext } from '../context.ts';

export interface FlowRunRef {
  id: string;
  /** The flow run's name, when Sightline knows the run itself (not only its logs). */
  name: string | null;
}

export async function findFlowRunForLogs(ctx: OpContext, flowRunId: string): Promise<FlowRunRef | undefined> {
  const stats = await ctx.services.store.logs.runStats(ctx.workspace.id, flowRunId);
  return stats ? { id: flowRunId, name: null } : undefined;
}
