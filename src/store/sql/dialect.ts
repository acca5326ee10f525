/**
 * What the shared SQL (`sql/run-filters.ts`, `run-reads.ts`, `span-filters.ts`, `event-filters.ts`)
 * needs to know about an engine's SQL. Each engine supplies one (`sqlite/dialect.ts`,
 * `postgres/dialect.ts`); nothing outside `src/store/` uses it. Tags and labels are stored as JSON
 * arrays/objects (TEXT on SQLite, jsonb on PostgreSQL).
 */
export interface SqlDialect {
  /** Appends a parameter and returns its placeholder (`?` or `$n`). */
  param(params: unknown[], value: unknown): string;
  /**
   * `col` is one of `values` (or none of them, with `negate`; NULL never matches either way), with
   * the whole list as one parameter so that no list length meets the engine's parameter limit.
   */
  inList(col: string, values: readonly unknown[], params: unknown[], negate?: boolean): string;
  /** The JSON array in `col` contains every value. */
  arrayHasAll(col: string, values: string[], params: unknown[]): string;
  /** The JSON array in `col` contains at least one of the values (none given: false). */
  arrayHasAny(col: string, values: string[], params: unknown[]): string;
  /** The JSON array in `col` is empty. */
  arrayEmpty(col: string): string;
  /** The text value of `key` in the JSON object in `col` (null when absent). */
  jsonText(col: string, key: string): string;
  /** Case-insensitive substring match (Prefect's `ILIKE '%x%'`; `%` and `_` in `text` are wildcards, as in Prefect). */
  containsCI(col: string, text: string, params: unknown[]): string;
  /** `col` contains `text` literally (no wildcards), case-sensitive. */
  contains(col: string, text: string, params: unknown[]): string;
  /** Case-sensitive prefix match. */
  startsWith(col: string, text: string, params: unknown[]): string;
  /** A run id (run tables keep ids as text) in the type the log tables key runs by (uuid on PostgreSQL). */
  logRunId(expr: string): string;
  readonly true: string;
  readonly false: string;
}
