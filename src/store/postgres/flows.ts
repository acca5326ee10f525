/** PostgreSQL: flows (get-or-create by name). */
import type { FlowSort, RunFilterSet, RunQuery } from '../../domain/runs/filters.ts';
import type { FlowRow } from '../../domain/runs/flows.ts';
import type { FlowStore } from '../contract.ts';
import { json } from '../run-columns.ts';
import { flowOrder, flowWhere } from '../sql/run-filters.ts';
import type { PgDb, Row } from './db.ts';
import { pgDialect } from './dialect.ts';
import { toFlow } from './run-rows.ts';
import type { PgTenancy } from './tenancy.ts';

export class PgFlows implements FlowStore {
  private readonly db: PgDb;
  private readonly tenancy: PgTenancy;

  constructor(db: PgDb, tenancy: PgTenancy) {
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

  async get(workspaceId: string, id: string): Promise<FlowRow | undefined> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) return undefined;
    const row = await this.db.one<Row>('SELECT * FROM flows WHERE ws = $1 AND id = $2', [ws, id]);
    return row ? toFlow(row) : undefined;
  }

  async filter(workspaceId: string, query: RunQuery<FlowSort>): Promise<FlowRow[]> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) return [];
    const params: unknown[] = [ws];
    const where = flowWhere(pgDialect, query.filters, params);
    params.push(query.limit, query.offset);
    const n = params.length;
    const sql = `SELECT f.* FROM flows f WHERE f.ws = $1${where ? ` AND ${where}` : ''} ORDER BY ${flowOrder(query.sort)} LIMIT $${n - 1} OFFSET $${n}`;
    return (await this.db.query<Row>(sql, params)).map(toFlow);
  }

  async count(workspaceId: string, filters: RunFilterSet): Promise<number> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) return 0;
    const params: unknown[] = [ws];
    const where = flowWhere(pgDialect, filters, params);
    const row = await this.db.one<{ n: number }>(
      `SELECT count(*) AS n FROM flows f WHERE f.ws = $1${where ? ` AND ${where}` : ''}`,
      params,
    );
    return row?.n ?? 0;
  }
}
