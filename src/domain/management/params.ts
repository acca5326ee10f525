/**
 * Query parameters of the flow-run management API (`/api/v1`). Its errors are not validation
 * issues: a parameter the API does not serve is `unsupported_parameter` (400, with the supported
 * list), a value it cannot read is `invalid_parameter` (422, naming the parameter).
 */
import { AppError, echo } from '../errors.ts';
import { normalizeUuid } from '../ids.ts';
import { MICROS_PER_DAY, type Micros, TIME_MAX, TIME_MIN } from '../time.ts';

export type RawQuery = Record<string, unknown>;

export const PER_PAGE_MAX = 100;
export const PER_PAGE_DEFAULT = 25;

export function unsupported(what: string, value: string, supported: readonly string[]): AppError {
  return new AppError('unsupported_parameter', `Unsupported ${what}: ${echo(value)}`, {
    details: { parameter: echo(value), supported },
  });
}

export function invalid(parameter: string, why: string, value?: unknown): AppError {
  return new AppError('invalid_parameter', `Invalid ${parameter}: ${why}`, {
    details: { parameter, ...(value === undefined ? {} : { value: echo(value) }) },
  });
}

/** Rejects every key outside `supported` (query strings are read as given: nothing is ignored). */
export function onlySupported(q: RawQuery, supported: readonly string[]): void {
  for (const k of Object.keys(q)) if (!supported.includes(k)) throw unsupported('parameter', k, supported);
}

/** The value of `key` as text (a repeated key: the last one), or undefined. */
export function text(q: RawQuery, key: string): string | undefined {
  const v = q[key];
  return v === undefined ? undefined : String(Array.isArray(v) ? v[v.length - 1] : v);
}

/** A comma list: each value trimmed, empty ones dropped, mapped by `read` (which throws). */
export function list<T>(q: RawQuery, key: string, read: (v: string) => T): T[] | undefined {
  const v = text(q, key);
  if (v === undefined) return undefined;
  const items = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!items.length) throw invalid(key, 'must name at least one value', v);
  return items.map(read);
}

export function uuidOf(key: string): (v: string) => string {
  return (v) => normalizeUuid(v) ?? throwIt(invalid(key, 'must be a UUID', v));
}

export function oneOf<T extends string>(key: string, values: readonly T[]): (v: string) => T {
  return (v) => (values.includes(v as T) ? (v as T) : throwIt(invalid(key, `must be one of ${values.join(', ')}`, v)));
}

export function boolean(q: RawQuery, key: string): boolean | undefined {
  const v = text(q, key);
  if (v === undefined) return undefined;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw invalid(key, 'must be true, false, 1 or 0', v);
}

/** A Unix time in milliseconds, as microseconds within the range every engine stores. */
export function unixMillis(q: RawQuery, key: string): Micros | undefined {
  const v = text(q, key);
  if (v === undefined) return undefined;
  if (!/^-?\d{1,16}$/.test(v)) throw invalid(key, 'must be a Unix time in milliseconds', v);
  const t = Number(v) * 1000;
  if (t < TIME_MIN || t > TIME_MAX) throw invalid(key, 'is out of range', v);
  return t;
}

/** The UTC day containing `t`: `[start, end)`. */
export function utcDay(t: Micros): { start: Micros; end: Micros } {
  const start = Math.floor(t / MICROS_PER_DAY) * MICROS_PER_DAY;
  return { start, end: start + MICROS_PER_DAY };
}

export function integer(q: RawQuery, key: string, min: number, max: number, dflt: number): number {
  const v = text(q, key);
  if (v === undefined) return dflt;
  const n = /^\d{1,9}$/.test(v) ? Number(v) : Number.NaN;
  if (!(n >= min && n <= max)) throw invalid(key, `must be an integer from ${min} to ${max}`, v);
  return n;
}

/** `page` and `per_page`: the page's offset and size. */
export function paging(q: RawQuery): { page: number; perPage: number; offset: number } {
  const page = integer(q, 'page', 1, 100_000_000, 1);
  const perPage = integer(q, 'per_page', 1, PER_PAGE_MAX, PER_PAGE_DEFAULT);
  return { page, perPage, offset: (page - 1) * perPage };
}

/** `include`: the relationships asked for, each one of `supported`. */
export function includes<T extends string>(q: RawQuery, supported: readonly T[]): Set<T> {
  const v = text(q, 'include');
  if (v === undefined) return new Set();
  const out = new Set<T>();
  for (const name of v.split(',').map((s) => s.trim())) {
    if (!name) continue;
    if (!supported.includes(name as T)) throw unsupported('include', name, supported);
    out.add(name as T);
  }
  return out;
}

function throwIt(e: AppError): never {
  throw e;
}
