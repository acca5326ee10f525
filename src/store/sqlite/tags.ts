/** SQLite: the workspace tag index (rows written by the tag projection inside event appends). */
import type { TagRow, TagSort, TagStore } from '../contract.ts';
import type { Db } from './db.ts';
import type { SqliteTenancy } from './tenancy.ts';

const ORDER: Record<TagSort, string> = {
  NAME_ASC: 'name ASC',
  NAME_DESC: 'name DESC',
  LAST_SEEN_ASC: 'last_seen ASC, name ASC',
  LAST_SEEN_DESC: 'last_seen DESC, name ASC',
};

export class SqliteTags implements TagStore {
  private readonly db: Db;
  private readonly tenancy: SqliteTenancy;

  constructor(db: Db, tenancy: SqliteTenancy) {
    this.db = db;
    this.tenancy = tenancy;
  }

  async list(
    workspaceId: string,
    q: { search?: string; sort: TagSort; limit: number; offset: number },
  ): Promise<{ results: TagRow[]; count: number }> {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined) return { results: [], count: 0 };
    let where = 'ws = ?';
    const params: (string | number)[] = [ws];
    if (q.search) {
      // instr on lower(): a literal, case-insensitive substring (no LIKE wildcards to escape).
      where += ' AND instr(lower(name), ?) > 0';
      params.push(q.search.toLowerCase());
    }
    const count = (this.db.stmt(`SELECT count(*) AS n FROM tags WHERE ${where}`).get(...params) as { n: number }).n;
    const rows = this.db
      .stmt(`SELECT name, first_seen, last_seen, n FROM tags WHERE ${where} ORDER BY ${ORDER[q.sort]} LIMIT ? OFFSET ?`)
      .all(...params, q.limit, q.offset) as unknown as {
      name: string;
      first_seen: number;
      last_seen: number;
      n: number;
    }[];
    return {
      results: rows.map((r) => ({ name: r.name, firstSeen: r.first_seen, lastSeen: r.last_seen, count: r.n })),
      count,
    };
  }

  async delete(workspaceId: string, name: string): Promise<void> {
    const ws = this.tenancy.key(workspaceId);
    if (ws === undefined) return;
    this.db.tx(() => this.db.stmt('DELETE FROM tags WHERE ws = ? AND name = ?').run(ws, name));
  }
}
