/**
 * PostgreSQL text search for Prefect's grammar (`domain/text-query.ts`), with the same results as
 * SQLite's. A row's searched text is lower-cased (`lower(message || ' ' || name)` for logs); a term
 * matches when it is a substring of it.
 *
 * Two ways to find rows, combined by the resource's `filter` (see `logs.ts`):
 * - scan: the exact condition, checked row by row (`scanSql`);
 * - index: a `pg_trgm` GIN index over a copy of the lower-cased text in a side table, filled off
 *   the acknowledgement path (`indexMatchSql`). It answers only terms with three consecutive ASCII
 *   letters or digits (`indexable`): shorter terms give `pg_trgm` nothing to look up.
 * Every candidate the index returns is checked exactly again, so both ways give the same rows.
 *
 * Logs: the index holds the message only (`lower(message) || ' '`), not the logger name every
 * log repeats (ADR 49: a seventh of the index's work). A term that reaches into the name is found
 * through the workspace's logger names instead (`nameMatchSql`): the logs of those loggers are
 * candidates too.
 */
import type { TextQuery } from '../../domain/text-query.ts';
import { param } from './dialect.ts';

const TRIGRAM = /[a-z0-9]{3}/;

/** Whether the index can find the candidates: some positive term, and all of them indexable. */
export function indexable(q: TextQuery): boolean {
  const positive = [...q.include, ...q.required];
  return positive.length > 0 && positive.every((t) => TRIGRAM.test(t));
}

function likePattern(term: string): string {
  return `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** The exact condition on the lower-cased text expression `hay`. */
export function scanSql(q: TextQuery, hay: string, p: unknown[]): string {
  const has = (t: string) => `strpos(${hay}, ${param(p, t)}) > 0`;
  const parts: string[] = q.required.map(has);
  if (q.include.length) parts.push(`(${q.include.map(has).join(' OR ')})`);
  for (const t of q.exclude) parts.push(`NOT ${has(t)}`);
  return parts.length ? parts.join(' AND ') : 'true';
}

/** The positive terms as LIKE patterns on the indexed column `col` (usable by gin_trgm_ops). */
export function indexMatchSql(q: TextQuery, col: string, p: unknown[]): string {
  const like = (t: string) => `${col} LIKE ${param(p, likePattern(t))}`;
  const parts: string[] = q.required.map(like);
  if (q.include.length) parts.push(`(${q.include.map(like).join(' OR ')})`);
  return parts.join(' AND ');
}

/**
 * The loggers (`name`, on `log_loggers`) whose logs a positive term may match beyond the message
 * in `lower(message || ' ' || name)`: the term lies in `' ' || lower(name)`, or it spans the
 * separator, its part after one of its spaces starting the lower-cased name. (A term ending at the
 * separator is in the indexed `lower(message) || ' '`.)
 */
export function nameMatchSql(q: TextQuery, name: string, p: unknown[]): string {
  // `log_loggers` sorts names in "C"; lower-case them as the searched text is (the logs' collation).
  const lowered = `lower(${name} COLLATE "default")`;
  const parts: string[] = [];
  for (const t of [...q.required, ...q.include]) {
    parts.push(`strpos(' ' || ${lowered}, ${param(p, t)}) > 0`);
    for (let k = t.indexOf(' '); k >= 0 && k < t.length - 1; k = t.indexOf(' ', k + 1))
      parts.push(`starts_with(${lowered}, ${param(p, t.slice(k + 1))})`);
  }
  return parts.join(' OR ');
}
