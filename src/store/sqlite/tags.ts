/** SQLite: the workspace tag index; its reads are shared (`sql/tags.ts`). */
import type { TagStore } from '../contract.ts';
import { TagReads } from '../sql/tags.ts';
import type { Db } from './db.ts';
import { sqliteReader } from './run-rows.ts';
import type { SqliteTenancy } from './tenancy.ts';

export class SqliteTags extends TagReads implements TagStore {
  private readonly db: Db;
  private readonly tenancy: SqliteTenancy;

  constructor(db: Db, tenancy: SqliteTenancy) {
    super(sqliteReader(db, tenancy));
    this.db = db;
    this.tenancy = tenancy;
  }

  async delete(workspaceId: string, name: string): Promise<void> {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined) return;
    this.db.tx(() => this.db.stmt('DELETE FROM tags WHERE ws = ? AND name = ?').run(ws, name));
  }
}
