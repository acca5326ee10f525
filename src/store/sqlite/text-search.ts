/**
 * SQLite text search for Prefect's grammar. Matching is always decided by scanning the row's text
 * (`instr` on the lower-cased haystack); the FTS5 trigram index only narrows down which rows to
 * look at. The index keeps no positions (`detail=none`, a third of the size and write cost), so a
 * term is looked up as the AND of its trigrams, which finds a superset of the rows containing
 * it. Rows past the index watermark (the indexer runs behind ingest) and terms the index cannot
 * answer (under 3 characters) are scanned, so results are always complete.
 */
import type { TextQuery } from '../../domain/text-query.ts';

export interface TextSearchSql {
  sql: string;
  params: (string | number)[];
}

const MIN_TRIGRAM = 3;

function ftsString(s: string): string {
  return `"${s.replaceAll('"', '""')}"`;
}

/**
 * The FTS5 expression for rows whose text may contain `term`: trigrams that cover it without
 * overlapping (and the last one). Any text containing the term contains them; looking up all of
 * its trigrams would find the same rows at three times the cost for long terms.
 */
function termMatch(term: string): string {
  const chars = Array.from(term);
  const grams = new Set<string>();
  const gram = (i: number) => chars.slice(i, i + MIN_TRIGRAM).join('');
  for (let i = 0; i + MIN_TRIGRAM <= chars.length; i += MIN_TRIGRAM) grams.add(gram(i));
  grams.add(gram(chars.length - MIN_TRIGRAM));
  return [...grams].map(ftsString).join(' AND ');
}

/**
 * An FTS5 MATCH expression selecting a superset of the rows that satisfy the query's positive
 * terms, or undefined when the index cannot help (no positive term, or one under 3 characters).
 */
export function trigramMatch(q: TextQuery): string | undefined {
  const positive = [...q.include, ...q.required];
  if (positive.length === 0 || positive.some((t) => Array.from(t).length < MIN_TRIGRAM)) return undefined;
  const parts = q.required.map((t) => `(${termMatch(t)})`);
  if (q.include.length) parts.push(`(${q.include.map((t) => `(${termMatch(t)})`).join(' OR ')})`);
  return parts.join(' AND ');
}

/** The exact condition, evaluated on the row: every required term, one include term, no exclude term. */
export function scanCondition(q: TextQuery, haystack: string): TextSearchSql {
  const params: (string | number)[] = [];
  const has = (t: string) => {
    params.push(t);
    return `instr(lower(${haystack}), ?) > 0`;
  };
  const parts = q.required.map(has);
  if (q.include.length) parts.push(`(${q.include.map(has).join(' OR ')})`);
  for (const t of q.exclude) parts.push(`NOT ${has(t)}`);
  return { sql: parts.length ? parts.join(' AND ') : '1', params };
}

/** The left side of MATCH: the FTS table's bare name (`txt.logs_text` → `logs_text`). */
export function matchColumn(ftsTable: string): string {
  return ftsTable.slice(ftsTable.lastIndexOf('.') + 1);
}

/**
 * One self-contained condition for the text part of a filter (used where it must combine with
 * other conditions by OR, and by queries the planner in `text-plan.ts` does not take).
 * @param haystack SQL expression of the searched text (lower-cased by this function).
 * @param rowid SQL expression of the row's key in the FTS table.
 * @param ftsTable name of the FTS5 table, optionally schema-qualified.
 * @param watermark highest rowid already indexed.
 */
export function textSearchSql(
  q: TextQuery,
  haystack: string,
  rowid: string,
  ftsTable: string,
  watermark: number,
): TextSearchSql {
  const exact = scanCondition(q, haystack);
  const match = trigramMatch(q);
  if (!match) return exact;
  return {
    sql: `(${exact.sql}) AND (${rowid} > ? OR ${rowid} IN (SELECT rowid FROM ${ftsTable} WHERE ${matchColumn(ftsTable)} MATCH ? AND rowid <= ?))`,
    params: [...exact.params, watermark, match, watermark],
  };
}
