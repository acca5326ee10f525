/** PostgreSQL: artifacts. */
import type { ArtifactRow, ArtifactUpdate } from '../../domain/runs/artifacts.ts';
import type { ArtifactSort } from '../../domain/runs/filters.ts';
import type { ArtifactStore } from '../contract.ts';
import { json } from '../shared/run-columns.ts';
import { ARTIFACTS, TableReads } from '../sql/run-reads.ts';
import type { PgDb } from './db.ts';
import { pgReader } from './run-rows.ts';
import type { PgSpanProjection } from './span-projection.ts';
import type { PgTenancy } from './tenancy.ts';

export class PgArtifacts extends TableReads<ArtifactSort, ArtifactRow> implements ArtifactStore {
  private readonly db: PgDb;
  private readonly tenancy: PgTenancy;
  private readonly spans: PgSpanProjection;

  constructor(db: PgDb, tenancy: PgTenancy, spans: PgSpanProjection) {
    super(pgReader(db, tenancy), ARTIFACTS);
    this.db = db;
    this.tenancy = tenancy;
    this.spans = spans;
  }

  async create(workspaceId: string, a: ArtifactRow): Promise<ArtifactRow> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) throw new Error(`unknown workspace ${workspaceId}`);
    await this.db.tx(async (c) => {
      await c.query(
        `INSERT INTO artifacts (ws, id, created, updated, key, type, description, data, metadata, flow_run_id, task_run_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb, $10, $11)`,
        [
          ws,
          a.id,
          a.created,
          a.updated,
          a.key,
          a.type,
          a.description,
          json(a.data),
          a.metadata_ === null ? null : json(a.metadata_),
          a.flow_run_id,
          a.task_run_id,
        ],
      );
      await this.spans.artifactChanged(c, ws, a.id);
    });
    return a;
  }

  async update(workspaceId: string, id: string, patch: ArtifactUpdate, updated: number): Promise<boolean> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) return false;
    const params: unknown[] = [updated];
    const sets = ['updated = $1'];
    if (patch.data !== undefined) {
      params.push(json(patch.data));
      sets.push(`data = $${params.length}::jsonb`);
    }
    if (patch.description !== undefined) {
      params.push(patch.description);
      sets.push(`description = $${params.length}`);
    }
    if (patch.metadata_ !== undefined) {
      params.push(json(patch.metadata_));
      sets.push(`metadata = $${params.length}::jsonb`);
    }
    params.push(ws, id);
    return this.db.tx(async (c) => {
      const r = await c.query(
        `UPDATE artifacts SET ${sets.join(', ')} WHERE ws = $${params.length - 1} AND id = $${params.length}`,
        params,
      );
      const changed = (r.rowCount ?? 0) > 0;
      if (changed) await this.spans.artifactChanged(c, ws, id);
      return changed;
    });
  }

  async delete(workspaceId: string, id: string): Promise<boolean> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) return false;
    return this.db.tx(async (c) => {
      const r = await c.query('DELETE FROM artifacts WHERE ws = $1 AND id = $2', [ws, id]);
      const deleted = (r.rowCount ?? 0) > 0;
      if (deleted) await this.spans.removed(c, ws, [id]);
      return deleted;
    });
  }
}
