/**
 * Prefect's text search grammar (logs and events): whitespace-separated terms, "quoted phrases"
 * (backslash escapes `\"` and `\\`), `-term` / `!term` exclude, `+term` require, anything else is
 * an include term. Include terms are OR-ed, required terms must all be present, exclude terms must
 * all be absent. Matching is a case-insensitive substring match.
 */

export interface TextQuery {
  include: string[];
  required: string[];
  exclude: string[];
}

export const TEXT_QUERY_MAX = 200;

export function parseTextQuery(query: string): TextQuery {
  const q: TextQuery = { include: [], required: [], exclude: [] };
  let i = 0;
  const n = query.length;
  while (i < n) {
    while (i < n && /\s/.test(query[i])) i++;
    if (i >= n) break;
    let kind: keyof TextQuery = 'include';
    const c = query[i];
    if (c === '-' || c === '!' || c === '+') {
      // A prefix followed by whitespace (or the end) is ignored.
      if (i + 1 >= n || /\s/.test(query[i + 1])) {
        i++;
        continue;
      }
      kind = c === '+' ? 'required' : 'exclude';
      i++;
    }
    let term = '';
    if (query[i] === '"') {
      i++;
      while (i < n && query[i] !== '"') {
        if (query[i] === '\\' && i + 1 < n && (query[i + 1] === '"' || query[i + 1] === '\\')) i++;
        term += query[i++];
      }
      i++; // closing quote (or end of input)
    } else {
      while (i < n && !/\s/.test(query[i])) term += query[i++];
    }
    if (term) q[kind].push(term.toLowerCase());
  }
  return q;
}

export function isBlank(q: TextQuery): boolean {
  return q.include.length === 0 && q.required.length === 0 && q.exclude.length === 0;
}

/** In-memory evaluation, used by live streams. `haystack` must already be lower-cased. */
export function matchesText(q: TextQuery, haystack: string): boolean {
  for (const t of q.exclude) if (haystack.includes(t)) return false;
  for (const t of q.required) if (!haystack.includes(t)) return false;
  if (q.include.length === 0) return true;
  for (const t of q.include) if (haystack.includes(t)) return true;
  return false;
}
