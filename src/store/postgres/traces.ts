/**
 * PostgreSQL: traces. A trace is a root flow run and every subflow under it, at any depth (a
 * subflow's `parent_task_run_id` is a task run of its parent flow run). The root counts even when
 * it is not recorded (yet): its logs may arrive first.
 */
import type { TraceStore } from '../contract.ts';
import type { PgDb } from './db.ts';
import type { PgTenancy } from './tenancy.ts';

/** Bounds of one trace: how deep subflows nest and how many flow runs it has. */
const TRACE_MAX_DEPTH = 64;
const TRACE_MAX_RUNS = 10_000;

const TREE = `WITH RECURSIVE tree(id, depth) AS (
    SELECT $1::text COLLATE "C", 0
    UNION
    SELECT fr.id, t.depth + 1 FROM tree t
      JOIN task_runs tr ON tr.ws = $2 AND tr.flow_run_id = t.id
      JOIN flow_runs fr ON fr.ws = $2 AND fr.parent_task_run_id = tr.id
     WHERE t.depth < ${TRACE_MAX_DEPTH}
  ) SELECT DISTINCT id FROM tree LIMIT ${TRACE_MAX_RUNS}`;

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
    const rows = await this.db.query<{ id: string }>(TREE, [traceId, ws]);
    return rows.map((r) => r.id);
  }
}
