/**
 * Plans a text search that is ANDed with other filters and returns one sorted page. Neither
 * obvious plan is good for every term: walking the rows in sort order and testing each row's text
 * stops early for a common term but reads the whole table for a rare one; starting from the text
 * index finds a rare term at once but must fetch and sort every hit of a common one. So:
 *
 * 1. Count the index's candidates, stopping past `probe`. Few → fetch exactly those rows (plan A).
 * 2. Many → walk at most `scan` rows in sort order, testing the text (plan B); done when the page
 *    filled up, or when the walk saw every row the other filters allow.
 * 3. Otherwise (a common term that is rare among the filtered rows) → plan A after all.
 *
 * Every plan decides matches by the exact scan condition, so all three give the same rows.
 */
import type { TextQuery } from '../../domain/text-query.ts';
import type { Db } from './db.ts';
import { matchColumn, scanCondition, trigramMatch } from './text-search.ts';

type Param = string | number | null;

export interface TextPlanLimits {
  /** Candidates from the index up to which fetching them all is the plan. */
  probe: number;
  /** Rows walked in sort order before giving up on plan B. */
  scan: number;
}

export const DEFAULT_TEXT_PLAN: TextPlanLimits = { probe: 5_000, scan: 50_000 };

export interface OrderedTextSearch {
  db: Db;
  /** The table searched; its key column is the FTS rowid. */
  table: string;
  key: string;
  /** Comma-separated result columns (plain column names of `table`). */
  columns: string;
  /** The other conditions, ANDed, and their parameters. */
  where: string;
  params: Param[];
  /** e.g. `timestamp ASC, seq ASC`. */
  orderBy: string;
  limit: number;
  offset: number;
  haystack: string;
  ftsTable: string;
  /** Highest key already in the FTS table (which may be schema-qualified, `txt.logs_text`). */
  watermark: number;
  limits?: TextPlanLimits;
}

/** True when `searchOrdered` can plan this query (it has positive terms the index can look up). */
export function plannable(q: TextQuery): boolean {
  return trigramMatch(q) !== undefined;
}

export function searchOrdered<T>(s: OrderedTextSearch, q: TextQuery): T[] {
  const match = trigramMatch(q);
  if (match === undefined) throw new Error('searchOrdered needs an indexable query');
  const limits = s.limits ?? DEFAULT_TEXT_PLAN;
  if (s.limit === 0) return [];
  const exact = scanCondition(q, s.haystack);

  const candidates = s.db
    .stmt(
      `SELECT count(*) AS n FROM (SELECT rowid FROM ${s.ftsTable} WHERE ${matchColumn(s.ftsTable)} MATCH ? AND rowid <= ? LIMIT ?)`,
    )
    .get(match, s.watermark, limits.probe + 1) as { n: number };
  if (candidates.n <= limits.probe) return fromIndex<T>(s, match, exact.sql, exact.params);

  const walk = Math.max(limits.scan, 4 * (s.offset + s.limit));
  const page = s.db
    .stmt(
      `SELECT ${s.columns} FROM (SELECT ${s.columns}, (${exact.sql}) AS hit FROM ${s.table} WHERE ${s.where} ORDER BY ${s.orderBy} LIMIT ?) ` +
        `WHERE hit ORDER BY ${s.orderBy} LIMIT ? OFFSET ?`,
    )
    .all(...exact.params, ...s.params, walk, s.limit, s.offset) as T[];
  if (page.length === s.limit) return page;
  const seen = s.db
    .stmt(`SELECT count(*) AS n FROM (SELECT 1 FROM ${s.table} WHERE ${s.where} LIMIT ?)`)
    .get(...s.params, walk) as {
    n: number;
  };
  if (seen.n < walk) return page;
  return fromIndex<T>(s, match, exact.sql, exact.params);
}

/** Plan A: the index's candidates up to the watermark, plus every row past it, filtered exactly and sorted. */
function fromIndex<T>(s: OrderedTextSearch, match: string, exact: string, exactParams: Param[]): T[] {
  const cols = s.columns
    .split(',')
    .map((c) => `${s.table}.${c.trim()}`)
    .join(', ');
  // NOT INDEXED: reach rows by key (one lookup per candidate; a key range for the unindexed tail),
  // never by walking one of the table's indexes.
  const sql =
    `SELECT ${s.columns} FROM (` +
    `SELECT ${cols} FROM (SELECT rowid AS k FROM ${s.ftsTable} WHERE ${matchColumn(s.ftsTable)} MATCH ? AND rowid <= ?) AS c ` +
    `CROSS JOIN ${s.table} NOT INDEXED ON ${s.table}.${s.key} = c.k WHERE (${s.where}) AND (${exact}) ` +
    `UNION ALL SELECT ${s.columns} FROM ${s.table} NOT INDEXED WHERE ${s.key} > ? AND (${s.where}) AND (${exact})` +
    `) ORDER BY ${s.orderBy} LIMIT ? OFFSET ?`;
  return s.db
    .stmt(sql)
    .all(
      match,
      s.watermark,
      ...s.params,
      ...exactParams,
      s.watermark,
      ...s.params,
      ...exactParams,
      s.limit,
      s.offset,
    ) as T[];
}
