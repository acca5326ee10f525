/**
 * Building blocks for evaluating Prefect filters in memory, on rows a live stream is about to
 * deliver. Each filter type (logs here, events elsewhere) compiles its JSON filter into one
 * predicate once per subscription, so matching a row is a handful of comparisons.
 *
 * The semantics mirror the SQL the store runs for the same filter: a sub-filter contributes a
 * condition only when it sets a field; an empty `any_` list matches nothing; `operator` combines
 * the conditions that are present, and no condition at all matches everything.
 */
import { isBlank, matchesText, parseTextQuery } from '../text-query.ts';

export type Predicate<T> = (row: T) => boolean;

const always = () => true;

/** All of `preds` (an empty list matches everything). */
export function allOf<T>(preds: Predicate<T>[]): Predicate<T> {
  if (preds.length === 0) return always;
  if (preds.length === 1) return preds[0];
  return (row) => {
    for (const p of preds) if (!p(row)) return false;
    return true;
  };
}

/** Any of `preds` (an empty list matches everything: no condition was given). */
export function anyOf<T>(preds: Predicate<T>[]): Predicate<T> {
  if (preds.length === 0) return always;
  if (preds.length === 1) return preds[0];
  return (row) => {
    for (const p of preds) if (p(row)) return true;
    return false;
  };
}

/** Prefect's `operator` field: `and_` (the default) or `or_` over the present sub-filters. */
export function combine<T>(operator: 'and_' | 'or_' | undefined, preds: Predicate<T>[]): Predicate<T> {
  return operator === 'or_' ? anyOf(preds) : allOf(preds);
}

/** `value IN values`; a null value is in no list (as in SQL). */
export function inList<T>(get: (row: T) => string | null, values: readonly string[]): Predicate<T> {
  if (values.length === 0) return () => false;
  const set = new Set(values);
  return (row) => {
    const v = get(row);
    return v !== null && set.has(v);
  };
}

/** `value IS NULL` when `isNull`, else `value IS NOT NULL`. */
export function nullness<T>(get: (row: T) => unknown, isNull: boolean): Predicate<T> {
  return isNull ? (row) => get(row) === null : (row) => get(row) !== null;
}

/** Inclusive range on a number; either bound may be absent. Undefined when neither is set. */
export function range<T>(get: (row: T) => number, min?: number, max?: number): Predicate<T> | undefined {
  if (min !== undefined && max !== undefined) return (row) => get(row) >= min && get(row) <= max;
  if (min !== undefined) return (row) => get(row) >= min;
  if (max !== undefined) return (row) => get(row) <= max;
  return undefined;
}

/**
 * Prefect's text search (`domain/text-query.ts`) over the text `haystack` builds for a row.
 * Undefined for a blank query, which adds no condition.
 */
export function textMatch<T>(query: string, haystack: (row: T) => string): Predicate<T> | undefined {
  const q = parseTextQuery(query);
  if (isBlank(q)) return undefined;
  return (row) => matchesText(q, haystack(row).toLowerCase());
}

/** Collects the defined predicates of one sub-filter and ANDs them (undefined when none). */
export function conditions<T>(...preds: (Predicate<T> | undefined)[]): Predicate<T> | undefined {
  const present = preds.filter((p): p is Predicate<T> => p !== undefined);
  return present.length ? allOf(present) : undefined;
}
