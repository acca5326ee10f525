/**
 * SQLite text search for Prefect's grammar. Rows already in an FTS5 trigram index are searched
 * through it; rows past the index watermark (the indexer runs behind ingest) and terms the
 * trigram index cannot answer (under 3 characters) are matched by scanning, so results are always
 * complete. Exclude terms are always checked by scanning the candidate rows. A query of only
 * exclude terms therefore scans every row the other filters leave.
 */
import type { TextQuery } from '../../domain/text-query.ts';

export interface TextSearchSql {
  sql: string;
  params: (string | number)[];
}

const MIN_TRIGRAM = 3;

function ftsPhrase(term: string): string {
  return `"${term.replaceAll('"', '""')}"`;
}

/**
 * @param haystack SQL expression of the searched text (lower-cased by this function).
 * @param rowid SQL expression of the row's key in the FTS table.
 * @param ftsTable name of the FTS5 table.
 * @param watermark highest rowid already indexed.
 */
export function textSearchSql(q: TextQuery, haystack: string, rowid: string, ftsTable: string, watermark: number): TextSearchSql {
  const params: (string | number)[] = [];
  const scanTerm = (t: string) => {
    params.push(t);
    return `instr(lower(${haystack}), ?) > 0`;
  };
  const parts: string[] = [];
  const positive = q.include.length > 0 || q.required.length > 0;
  const indexable = positive && [...q.include, ...q.required].every((t) => t.length >= MIN_TRIGRAM);
  if (positive) {
    const scanPositive = () => {
      const p: string[] = q.required.map(scanTerm);
      if (q.include.length) p.push(`(${q.include.map(scanTerm).join(' OR ')})`);
      return p.join(' AND ');
    };
    if (indexable) {
      const match: string[] = q.required.map(ftsPhrase);
      if (q.include.length) match.push(`(${q.include.map(ftsPhrase).join(' OR ')})`);
      params.push(watermark, match.join(' AND '), watermark);
      const indexed = `(${rowid} <= ? AND ${rowid} IN (SELECT rowid FROM ${ftsTable} WHERE ${ftsTable} MATCH ?))`;
      const tail = `(${rowid} > ? AND ${scanPositive()})`;
      parts.push(`(${indexed} OR ${tail})`);
    } else {
      parts.push(`(${scanPositive()})`);
    }
  }
  for (const t of q.exclude) parts.push(`NOT (${scanTerm(t)})`);
  return { sql: parts.length ? parts.join(' AND ') : '1', params };
}
