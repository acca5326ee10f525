/**
 * SQLite: trace membership from the span projection. The flow runs of `traceId` are the run itself
 * and every flow-run span beneath it (its path passes through it): for a root, every subflow of
 * its trace; for a subflow, the subflows under it. The run counts even when it is not recorded
 * (yet): its logs may arrive first.
 */
import type { TraceStore } from '../contract.ts';
import { FLOW_RUNS_OF_TRACE_MAX, flowRunsBeneath } from '../shared/span-membership.ts';
import type { Db } from './db.ts';
import type { SqliteTenancy } from './tenancy.ts';

const MEMBERS = `SELECT s.span_id, s.path FROM spans s
  WHERE s.ws = ?1 AND s.span_type = 'flow-run'
    AND s.trace_id = COALESCE((SELECT trace_id FROM spans WHERE ws = ?1 AND span_id = ?2), ?2)
  ORDER BY s.sort_start, s.span_id LIMIT ${FLOW_RUNS_OF_TRACE_MAX}`;

export class SqliteTraces implements TraceStore {
  private readonly db: Db;
  private readonly tenancy: SqliteTenancy;

  constructor(db: Db, tenancy: SqliteTenancy) {
    this.db = db;
    this.tenancy = tenancy;
  }

  async flowRunIds(workspaceId: string, traceId: string): Promise<string[]> {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined) return [traceId];
    const rows = this.db.stmt(MEMBERS).all(ws, traceId) as { span_id: string; path: string }[];
    return flowRunsBeneath(traceId, rows);
  }
}
