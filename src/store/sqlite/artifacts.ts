/** SQLite: artifacts. */
import type { ArtifactRow, ArtifactUpdate } from '../../domain/runs/artifacts.ts';
import type { ArtifactSort } from '../../domain/runs/filters.ts';
import type { ArtifactStore } from '../contract.ts';
import { json } from '../shared/run-columns.ts';
import { ARTIFACTS, TableReads } from '../sql/run-reads.ts';
import type { Db } from './db.ts';
import { sqliteReader } from './run-rows.ts';
import type { SqliteSpanProjection } from './span-projection.ts';
import type { SqliteTenancy } from './tenancy.ts';

export class SqliteArtifacts extends TableReads<ArtifactSort, ArtifactRow> implements ArtifactStore {
  private readonly db: Db;
  private readonly tenancy: SqliteTenancy;
  private readonly spans: SqliteSpanProjection;

  constructor(db: Db, tenancy: SqliteTenancy, spans: SqliteSpanProjection) {
    super(sqliteReader(db, tenancy), ARTIFACTS);
    this.db = db;
    this.tenancy = tenancy;
    this.spans = spans;
  }

  async create(workspaceId: string, a: ArtifactRow): Promise<ArtifactRow> {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined) throw new Error(`unknown workspace ${workspaceId}`);
    this.db.tx(() => this.insertInTx(ws, a));
    return a;
  }

  private insertInTx(ws: number, a: ArtifactRow): void {
    this.db
      .stmt(
        'INSERT INTO artifacts (ws, id, created, updated, key, type, description, data, metadata, flow_run_id, task_run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
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
      );
    this.spans.artifactChanged(ws, a.id);
  }

  async update(workspaceId: string, id: string, patch: ArtifactUpdate, updated: number): Promise<boolean> {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined) return false;
    const sets = ['updated = ?'];
    const params: (string | number | null)[] = [updated];
    if (patch.data !== undefined) {
      sets.push('data = ?');
      params.push(json(patch.data));
    }
    if (patch.description !== undefined) {
      sets.push('description = ?');
      params.push(patch.description);
    }
    if (patch.metadata_ !== undefined) {
      sets.push('metadata = ?');
      params.push(json(patch.metadata_));
    }
    params.push(ws, id);
    return this.db.tx(() => {
      const changed =
        this.db.stmt(`UPDATE artifacts SET ${sets.join(', ')} WHERE ws = ? AND id = ?`).run(...params).changes > 0;
      if (changed) this.spans.artifactChanged(ws, id);
      return changed;
    });
  }

  async delete(workspaceId: string, id: string): Promise<boolean> {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined) return false;
    return this.db.tx(() => {
      const deleted = this.db.stmt('DELETE FROM artifacts WHERE ws = ? AND id = ?').run(ws, id).changes > 0;
      if (deleted) this.spans.removed(ws, [id]);
      return deleted;
    });
  }
}
