/** What `GET /api/admin/retention` reports for the workspace addressed. */
import type { RetentionPolicy, SweepRecord, WorkspaceRetention } from '../../domain/retention.ts';
import type { Micros } from '../../domain/time.ts';
import { type OpContext, storeOf } from '../context.ts';
import { retentionPolicy } from './sweep.ts';

export interface RetentionStatus {
  /** The settings in force (seconds, 0 = forever), and the workspace's own ones (null = the flag's). */
  policy: RetentionPolicy;
  workspace: WorkspaceRetention;
  lastSweep: SweepRecord | undefined;
  nextSweep: Micros | undefined;
}

export async function retentionStatus(ctx: OpContext): Promise<RetentionStatus> {
  const store = storeOf(ctx.services);
  const ws = ctx.workspace.id;
  const flags = ctx.services.retention?.flags ?? { logs: 0, events: 0, runs: 0, eventOverrides: [] };
  return {
    policy: await retentionPolicy(ctx.services, ws, flags),
    workspace: (await store.retention.settings(ws)) ?? { logs: null, events: null, runs: null },
    lastSweep: await store.retention.lastSweep(ws),
    nextSweep: ctx.services.retention?.nextSweep,
  };
}
