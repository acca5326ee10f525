/** The workspace tag index's reads, for every SQL engine (rows written by the tag projection inside event appends). */
import type { TagRow, TagSort } from '../contract.ts';
import type { SqlReader } from './run-reads.ts';

const ORDER: Record<TagSort, string> = {
  NAME_ASC: 'name ASC',
  NAME_DESC: 'name DESC',
  LAST_SEEN_ASC: 'last_seen ASC, name ASC',
  LAST_SEEN_DESC: 'last_seen DESC, name ASC',
};

/** `TagStore.list`, for an engine's tag store to extend (deleting stays with the engine). */
export class TagReads {
  readonly #reads: SqlReader;

  constructor(reads: SqlReader) {
    this.#reads = reads;
  }

  async list(
    workspaceId: string,
    q: { search?: string; sort: TagSort; limit: number; offset: number },
  ): Promise<{ results: TagRow[]; count: number }> {
    const ws = await this.#reads.key(workspaceId);
    if (ws === undefined) return { results: [], count: 0 };
    const d = this.#reads.dialect;
    const p: unknown[] = [];
    let where = `ws = ${d.param(p, ws)}`;
    // A literal, case-insensitive substring (no LIKE wildcards to escape).
    if (q.search) where += ` AND ${d.contains('lower(name)', q.search.toLowerCase(), p)}`;
    const [total] = await this.#reads.all(`SELECT count(*) AS n FROM tags WHERE ${where}`, [...p]);
    const page = `SELECT name, first_seen, last_seen, n FROM tags WHERE ${where} ORDER BY ${ORDER[q.sort]} LIMIT ${d.param(p, q.limit)} OFFSET ${d.param(p, q.offset)}`;
    const rows = await this.#reads.all(page, p);
    return {
      results: rows.map((r) => ({
        name: r.name as string,
        firstSeen: r.first_seen as number,
        lastSeen: r.last_seen as number,
        count: r.n as number,
      })),
      count: Number(total?.n ?? 0),
    };
  }
}
