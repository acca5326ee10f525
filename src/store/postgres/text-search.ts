/**
 * PostgreSQL text search for Prefect's grammar (`domain/text-query.ts`), with the same results as
 * SQLite's. The searched text of a row is `lower(message || ' ' || name)`; a term matches when it
 * is a substring of it.
 *
 * Rows up to the index watermark (`meta.<watermarkKey>`) are in a `pg_trgm` GIN index (the
 * `<textTable>` table, filled by the indexer off the acknowledgement path); rows past it are the
 * tail, found through the `seq` index. Candidates are the union of index hits and the tail, read
 * in one statement (one snapshot), and every candidate is checked exactly, so results are always
 * complete. Terms without three consecutive ASCII letters or digits give `pg_trgm` nothing to
 * look up; a query with such a positive term, or with only exclude terms, scans the rows the other
 * filters leave.
 */
import type { TextQuery } from '../../domain/text-query.ts';
import type { Params } from './params.ts';

export interface TextSearchTarget {
  /** Alias of the searched table in the outer query. */
  alias: string;
  /** The base table (for the tail). */
  table: string;
  /** SQL expression of the searched text, relative to `alias`, before lower-casing. */
  text: (alias: string) => string;
  /** The text index table: (ws, "timestamp", seq, text), `text` already lower-cased. */
  textTable: string;
  /** `meta` key of the highest indexed seq. */
  watermarkKey: string;
}

const INDEXABLE = /[a-z0-9]{3}/;

function likePattern(term: string): string {
  return `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** A boolean SQL condition on `target.alias` for query `q` within workspace placeholder `ws`. */
export function textSearchSql(q: TextQuery, target: TextSearchTarget, ws: string, p: Params): string {
  const hay = `lower(${target.text(target.alias)})`;
  const scan = (t: string) => `strpos(${hay}, ${p.add(t)}) > 0`;
  const parts: string[] = [];
  const positive = [...q.include, ...q.required];
  if (positive.length) {
    const scanPositive: string[] = q.required.map(scan);
    if (q.include.length) scanPositive.push(`(${q.include.map(scan).join(' OR ')})`);
    if (positive.every((t) => INDEXABLE.test(t))) {
      const like = (t: string) => `x.text LIKE ${p.add(likePattern(t))}`;
      const match: string[] = q.required.map(like);
      if (q.include.length) match.push(`(${q.include.map(like).join(' OR ')})`);
      const a = target.alias;
      parts.push(
        `(${a}."timestamp", ${a}.seq) IN (
          SELECT x."timestamp", x.seq FROM ${target.textTable} x WHERE x.ws = ${ws} AND ${match.join(' AND ')}
          UNION ALL
          SELECT y."timestamp", y.seq FROM ${target.table} y
           WHERE y.ws = ${ws} AND y.seq > (SELECT value::bigint FROM meta WHERE key = '${target.watermarkKey}'))`,
      );
    }
    parts.push(...scanPositive);
  }
  for (const t of q.exclude) parts.push(`NOT (${scan(t)})`);
  return parts.length ? parts.join(' AND ') : 'true';
}
