/** PostgreSQL: flows (get-or-create by name). */
import type { FlowSort } from '../../domain/runs/filters.ts';
import type { FlowRow } from '../../domain/runs/flows.ts';
import type { FlowStore } from '../contract.ts';
import { json } from '../shared/run-columns.ts';
import { FLOWS, TableReads } from '../sql/run-reads.ts';
import type { PgDb, Row } from './db.ts';
import { pgReader, toFlow } from './run-rows.ts';
import type { PgTenancy } from './tenancy.ts';

export class PgFlows extends TableReads<FlowSort, FlowRow> implements FlowStore {
  private readonly db: PgDb;
  private readonly tenancy: PgTenancy;

  constructor(db: PgDb, tenancy: PgTenancy) {
    super(pgReader(db, tenancy), FLOWS);
    this.db = db;
    this.tenancy = tenancy;
  }

  async upsert(workspaceId: string, flow: FlowRow): Promise<{ flow: FlowRow; created: boolean }> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) throw new Error(`unknown workspace ${workspaceId}`);
    const inserted = await this.db.query(
      'INSERT INTO flows (ws, id, created, updated, name, tags, labels) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb) ON CONFLICT (ws, name) DO NOTHING RETURNING id',
      [ws, flow.id, flow.created, flow.updated, flow.name, json(flow.tags), json(flow.labels)],
    );
    if (inserted.length) return { flow, created: true };
    const row = await this.db.one<Row>('SELECT * FROM flows WHERE ws = $1 AND name = $2', [ws, flow.name]);
    return { flow: toFlow(row!), created: false };
  }
}
