/** SQLite: flows (get-or-create by name). */
import type { FlowSort } from '../../domain/runs/filters.ts';
import type { FlowRow } from '../../domain/runs/flows.ts';
import type { FlowStore } from '../contract.ts';
import { json } from '../shared/run-columns.ts';
import { FLOWS, TableReads } from '../sql/run-reads.ts';
import type { Db } from './db.ts';
import { type Row, sqliteReader, toFlow } from './run-rows.ts';
import type { SqliteTenancy } from './tenancy.ts';

export class SqliteFlows extends TableReads<FlowSort, FlowRow> implements FlowStore {
  private readonly db: Db;
  private readonly tenancy: SqliteTenancy;

  constructor(db: Db, tenancy: SqliteTenancy) {
    super(sqliteReader(db, tenancy), FLOWS);
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
}
