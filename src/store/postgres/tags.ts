/** PostgreSQL: the workspace tag index (rows written by the tag projection inside event appends). */
import type { TagRow, TagSort, TagStore } from '../contract.ts';
import type { PgDb } from './db.ts';
import { param } from './dialect.ts';
import type { PgTenancy } from './tenancy.ts';

const ORDER: Record<TagSort, string> = {
  NAME_ASC: 'name ASC',
  NAME_DESC: 'name DESC',
  LAST_SEEN_ASC: 'last_seen ASC, name ASC',
  LAST_SEEN_DESC: 'last_seen DESC, name ASC',
};

export class PgTags implements TagStore {
  private readonly db: PgDb;
  private readonly tenancy: PgTenancy;

  constructor(db: PgDb, tenancy: PgTenancy) {
    this.db = db;
    this.tenancy = tenancy;
  }

  async list(
    workspaceId: string,
    q: { search?: string; sort: TagSort; limit: number; offset: number },
  ): Promise<{ results: TagRow[]; count: number }> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) return { results: [], count: 0 };
    const p: unknown[] = [];
    let where = `ws = ${param(p, ws)}`;
    if (q.search) where += ` AND strpos(lower(name), ${param(p, q.search.toLowerCase())}) > 0`;
    const count = (await this.db.one<{ n: number }>(`SELECT count(*) AS n FROM tags WHERE ${where}`, p))!.n;
    const rows = await this.db.query<{ name: string; first_seen: number; last_seen: number; n: number }>(
      `SELECT name, first_seen, last_seen, n FROM tags WHERE ${where} ORDER BY ${ORDER[q.sort]} LIMIT ${param(p, q.limit)} OFFSET ${param(p, q.offset)}`,
      p,
    );
    return {
      results: rows.map((r) => ({ name: r.name, firstSeen: r.first_seen, lastSeen: r.last_seen, count: r.n })),
      count,
    };
  }

  async delete(workspaceId: string, name: string): Promise<void> {
    const ws = await this.tenancy.key(workspaceId);
    if (ws === undefined) return;
    await this.db.query('DELETE FROM tags WHERE ws = $1 AND name = $2', [ws, name]);
  }
}
