/**
 * PostgreSQL: trace membership from the span projection (see `sqlite/traces.ts`): the run itself
 * and every flow-run span beneath it.
 */
import type { TraceStore } from '../contract.ts';
import { FLOW_RUNS_OF_TRACE_MAX, flowRunsBeneath } from '../shared/span-membership.ts';
import type { PgDb } from './db.ts';
import type { PgTenancy } from './tenancy.ts';

const MEMBERS = `SELECT s.span_id, s.path FROM spans s
  WHERE s.ws = $1 AND s.span_type = 'flow-run'
    AND s.trace_id = COALESCE((SELECT trace_id FROM spans WHERE ws = $1 AND span_id = $2), $2)
  ORDER BY s.sort_start, s.span_id LIMIT ${FLOW_RUNS_OF_TRACE_MAX}`;

export class PgTraces implements TraceStore {
  private readonly db: PgDb;
  private readonly tenancy: PgTenancy;

  constructor(db: PgDb, tenancy: PgTenancy) {
    this.db = db;
    this.tenancy = tenancy;
  }

  async flowRunIds(workspaceId: string, traceId: string): Promise<string[]> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) return [traceId];
    return flowRunsBeneath(traceId, await this.db.query<{ span_id: string; path: string }>(MEMBERS, [ws, traceId]));
  }
}
