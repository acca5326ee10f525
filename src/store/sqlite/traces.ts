/**
 * SQLite: traces. A trace is a root flow run and every subflow under it, at any depth (a subflow's
 * `parent_task_run_id` is a task run of its parent flow run). The root counts even when it is not
 * recorded (yet): its logs may arrive first.
 */
import type { TraceStore } from '../contract.ts';
import type { Db } from './db.ts';
import type { SqliteTenancy } from './tenancy.ts';

/** Bounds of one trace: how deep subflows nest and how many flow runs it has. */
export const TRACE_MAX_DEPTH = 64;
export const TRACE_MAX_RUNS = 10_000;

const TREE = `WITH RECURSIVE tree(id, depth) AS (
    SELECT ?, 0
    UNION
    SELECT fr.id, t.depth + 1 FROM tree t
      JOIN task_runs tr ON tr.ws = ? AND tr.flow_run_id = t.id
      JOIN flow_runs fr ON fr.ws = ? AND fr.parent_task_run_id = tr.id
     WHERE t.depth < ${TRACE_MAX_DEPTH}
  ) SELECT DISTINCT id FROM tree LIMIT ${TRACE_MAX_RUNS}`;

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
    const rows = this.db.stmt(TREE).all(traceId, ws, ws) as { id: string }[];
    return rows.map((r) => r.id);
  }
}
