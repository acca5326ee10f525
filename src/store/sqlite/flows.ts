/** SQLite: flows (get-or-create by name). */
import type { FlowSort, RunFilterSet, RunQuery } from '../../domain/runs/filters.ts';
import type { FlowRow } from '../../domain/runs/flows.ts';
import type { FlowStore } from '../contract.ts';
import { json } from '../run-columns.ts';
import { flowOrder, flowWhere } from '../sql/run-filters.ts';
import type { Db } from './db.ts';
import { sqliteDialect } from './dialect.ts';
import { type Row, toFlow } from './run-rows.ts';
import type { SqliteTenancy } from './tenancy.ts';

export class SqliteFlows implements FlowStore {
  private readonly db: Db;
  private readonly tenancy: SqliteTenancy;

  constructor(db: Db, tenancy: SqliteTenancy) {
    this.db = db;
    this.tenancy = tenancy;
  }

  async upsert(workspaceId: string, flow: FlowRow): Promise<{ flow: FlowRow; created: boolean }> {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined) throw new Error(`unknown workspace ${workspaceId}`);
    return this.db.tx(() => {
      const r = this.db
        .stmt(
          'INSERT INTO flows (ws, id, created, updated, name, tags, labels) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (ws, name) DO NOTHING',
        )
        .run(ws, flow.id, flow.created, flow.updated, flow.name, json(flow.tags), json(flow.labels));
      if (r.changes > 0) return { flow, created: true };
      return {
        flow: toFlow(this.db.stmt('SELECT * FROM flows WHERE ws = ? AND name = ?').get(ws, flow.name) as Row),
        created: false,
      };
    });
  }

  async get(workspaceId: string, id: string): Promise<FlowRow | undefined> {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined) return undefined;
    const r = this.db.stmt('SELECT * FROM flows WHERE ws = ? AND id = ?').get(ws, id) as Row | undefined;
    return r ? toFlow(r) : undefined;
  }

  async filter(workspaceId: string, query: RunQuery<FlowSort>): Promise<FlowRow[]> {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined) return [];
    const params: unknown[] = [ws];
    const where = flowWhere(sqliteDialect, query.filters, params);
    params.push(query.limit, query.offset);
    const sql = `SELECT f.* FROM flows f WHERE f.ws = ?${where ? ` AND ${where}` : ''} ORDER BY ${flowOrder(query.sort)} LIMIT ? OFFSET ?`;
    return (this.db.stmt(sql).all(...(params as never[])) as Row[]).map(toFlow);
  }

  async count(workspaceId: string, filters: RunFilterSet): Promise<number> {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined) return 0;
    const params: unknown[] = [ws];
    const where = flowWhere(sqliteDialect, filters, params);
    const sql = `SELECT count(*) AS n FROM flows f WHERE f.ws = ?${where ? ` AND ${where}` : ''}`;
    return (this.db.stmt(sql).get(...(params as never[])) as { n: number }).n;
  }
}
