/** PostgreSQL: the workspace tag index; its reads are shared (`sql/tags.ts`). */
import type { TagStore } from '../contract.ts';
import { TagReads } from '../sql/tags.ts';
import type { PgDb } from './db.ts';
import { pgReader } from './run-rows.ts';
import type { PgTenancy } from './tenancy.ts';

export class PgTags extends TagReads implements TagStore {
  private readonly db: PgDb;
  private readonly tenancy: PgTenancy;

  constructor(db: PgDb, tenancy: PgTenancy) {
    super(pgReader(db, tenancy));
    this.db = db;
    this.tenancy = tenancy;
  }

  async delete(workspaceId: string, name: string): Promise<void> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) return;
    await this.db.query('DELETE FROM tags WHERE ws = $1 AND name = $2', [ws, name]);
  }
}
