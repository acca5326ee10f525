/**
 * A small validation library: each schema parses untrusted JSON into a typed value, reports
 * problems as pydantic-style issues (`loc`, `msg`, `type`) and describes itself as JSON Schema
 * (for OpenAPI documents and MCP tool schemas). Parsing is lax the way pydantic is: numeric
 * strings are accepted for numbers (query strings are text), and every optional field treats an
 * explicit JSON `null` as absent, because the Prefect client sends `"offset": null` and friends.
 */

/** One problem found in an input, pydantic-style (Prefect's 422 `detail` items). */
export interface Issue {
  loc: (string | number)[];
  msg: string;
  type: string;
  input?: unknown;
}

/** Most issues one validation reports: a hostile body costs a hundred issues, not millions. */
export const MAX_ISSUES = 100;
/** The `type` of the issue saying that validation stopped early, or that issues were left out. */
export const TOO_MANY_ISSUES = 'too_many_errors';

export type Loc = (string | number)[];
export type JsonSchema = Record<string, unknown>;

/** Returned by `parse` when the value was rejected (the issue has been recorded). */
export const INVALID: unique symbol = Symbol('invalid');
export type Parsed<T> = T | typeof INVALID;

export interface Schema<T> {
  parse(value: unknown, loc: Loc, issues: Issue[]): Parsed<T>;
  json(): JsonSchema;
  /** Describes the field for documentation (OpenAPI, MCP tool descriptions). */
  describe(text: string): Schema<T>;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

/** Builds a schema from a parser and its JSON Schema (the domain's own value types use it). */
export function schema<T>(parse: Schema<T>['parse'], json: () => JsonSchema): Schema<T> {
  let description: string | undefined;
  const s: Schema<T> = {
    parse,
    json: () => (description ? { ...json(), description } : json()),
    describe(text) {
      description = text;
      return s;
    },
  };
  return s;
}

/** Records an issue and rejects the value. */
export function fail(issues: Issue[], loc: Loc, type: string, msg: string, input: unknown): typeof INVALID {
  issues.push({ loc, msg, type, input });
  return INVALID;
}

// ---- bounded work ---------------------------------------------------------------------------

/**
 * Whether validation has found enough problems to stop (`MAX_ISSUES`): every loop over items
 * checks it, so a hostile body (a million empty objects) costs a hundred issues, not millions, and
 * the rest of it is not looked at.
 */
export function issuesFull(issues: Issue[]): boolean {
  return issues.length >= MAX_ISSUES;
}

/**
 * Ends a loop that stopped early: the last issue says where validation stopped and how much was
 * left unchecked (each enclosing loop adds its own remainder to the same issue).
 */
export function stopEarly(issues: Issue[], loc: Loc, remaining: number, noun: string): typeof INVALID {
  if (remaining <= 0) return INVALID;
  const where = loc.length ? loc.join('.') : 'the input';
  const part = `${remaining} more ${noun}${remaining === 1 ? '' : 's'} of ${where} not checked`;
  const last = issues[issues.length - 1];
  if (last?.type === TOO_MANY_ISSUES) last.msg += `; ${part}`;
  else issues.push({ loc, msg: `Validation stopped after ${issues.length} issues: ${part}`, type: TOO_MANY_ISSUES });
  return INVALID;
}

// ---- text -------------------------------------------------------------------------------------

/**
 * The one rule for text Sightline receives (stored or queried, on every engine): NUL characters
 * are removed (PostgreSQL cannot store them; Prefect strips them from log messages), and UTF-16
 * that is not well formed (a lone surrogate from a `\ud800` escape) is repaired the way a UTF-8
 * decoder repairs invalid bytes, each bad unit becoming U+FFFD. Both checks are native scans.
 */
export function cleanText(s: string): string {
  if (s.includes('\u0000')) s = s.replaceAll('\u0000', '');
  return s.isWellFormed() ? s : s.toWellFormed();
}

/** Sets a key as an own property, even `__proto__` (which plain assignment would not). */
export function setOwn(o: Record<string, unknown>, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
}

/** Deepest nesting of free-form JSON (payloads, parameters, artifact data) Sightline stores. */
export const MAX_JSON_DEPTH = 100;

/**
 * Free-form JSON (payloads, parameters): text cleaned by `cleanText`, keys included, and nesting
 * bounded so that no later `JSON.stringify` (storage, rendering) can overflow the stack. Returns
 * the same value when nothing needed cleaning, else a cleaned copy of the parts that changed.
 */
function cleanJsonValue(v: unknown, loc: Loc, depth: number, issues: Issue[]): unknown {
  if (typeof v === 'string') return cleanText(v);
  if (v === null || typeof v !== 'object') return v;
  if (depth >= MAX_JSON_DEPTH) {
    issues.push({
      loc,
      msg: `Value error, JSON is nested more than ${MAX_JSON_DEPTH} levels deep`,
      type: 'value_error',
    });
    return INVALID;
  }
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const x = cleanJsonValue(v[i], loc, depth + 1, issues);
      if (x === INVALID) return INVALID;
      if (x !== v[i]) (out ??= v.slice())[i] = x;
    }
    return out ?? v;
  }
  const o = v as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  for (const k of Object.keys(o)) {
    const x = cleanJsonValue(o[k], loc, depth + 1, issues);
    if (x === INVALID) return INVALID;
    const ck = cleanText(k);
    if (x !== o[k] || ck !== k) {
      if (!out) out = { ...o };
      if (ck !== k) delete out[k];
      setOwn(out, ck, x);
    }
  }
  return out ?? o;
}

/**
 * The most UTF-8 bytes of any text Sightline keys or indexes (names, keys, ids, tags): two of them
 * and a few numbers fit one PostgreSQL B-tree entry (at most 2,704 bytes, and text that does not
 * compress is stored as is), so no such value can make a write fail on one engine and not the other.
 */
export const KEY_TEXT_MAX_BYTES = 1024;

/** A string, cleaned by `cleanText` before its length and pattern are checked. */
export function str(
  opts: { min?: number; max?: number; maxBytes?: number; pattern?: RegExp; patternHint?: string } = {},
): Schema<string> {
  return schema(
    (raw, loc, issues) => {
      if (typeof raw !== 'string') return fail(issues, loc, 'string_type', 'Input should be a valid string', raw);
      const v = cleanText(raw);
      if (opts.min !== undefined && v.length < opts.min)
        return fail(
          issues,
          loc,
          'string_too_short',
          `String should have at least ${opts.min} character${opts.min === 1 ? '' : 's'}`,
          v,
        );
      if (opts.max !== undefined && v.length > opts.max)
        return fail(issues, loc, 'string_too_long', `String should have at most ${opts.max} characters`, v);
      // A JavaScript character is at most 3 UTF-8 bytes: only longer strings need counting.
      if (opts.maxBytes !== undefined && v.length * 3 > opts.maxBytes && Buffer.byteLength(v) > opts.maxBytes)
        return fail(issues, loc, 'string_too_long', `String should have at most ${opts.maxBytes} bytes (UTF-8)`, v);
      if (opts.pattern && !opts.pattern.test(v))
        return fail(
          issues,
          loc,
          'string_pattern_mismatch',
          opts.patternHint ?? `String should match pattern '${opts.pattern.source}'`,
          v,
        );
      return v;
    },
    () => ({ type: 'string', minLength: opts.min, maxLength: opts.max }),
  );
}

/** Text that is keyed or indexed: at most `KEY_TEXT_MAX_BYTES` bytes (UTF-8). */
export function keyText(
  opts: { min?: number; max?: number; pattern?: RegExp; patternHint?: string } = {},
): Schema<string> {
  return str({ ...opts, maxBytes: KEY_TEXT_MAX_BYTES });
}

function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '' && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v.trim()))
    return Number(v);
  return undefined;
}

/** The range of an integer field that names none: PostgreSQL's `integer` (Prefect's columns). */
export const INT_MIN = -2_147_483_648;
export const INT_MAX = 2_147_483_647;

/**
 * The one integer type: every integer Sightline accepts (levels, limits, offsets, pages, counts)
 * is bounded, by default to `INT_MIN..INT_MAX`, and never beyond what a double holds exactly.
 * `1e308`, `2^63` and `99999999999999999999999` are therefore 422s, never a store error.
 */
export function int(opts: { min?: number; max?: number } = {}): Schema<number> {
  const min = Math.max(opts.min ?? INT_MIN, Number.MIN_SAFE_INTEGER);
  const max = Math.min(opts.max ?? INT_MAX, Number.MAX_SAFE_INTEGER);
  return schema(
    (v, loc, issues) => {
      const n = typeof v === 'boolean' ? undefined : toNumber(v);
      if (n === undefined || !Number.isInteger(n))
        return fail(issues, loc, 'int_parsing', 'Input should be a valid integer', v);
      if (n < min) return fail(issues, loc, 'greater_than_equal', `Input should be greater than or equal to ${min}`, v);
      if (n > max) return fail(issues, loc, 'less_than_equal', `Input should be less than or equal to ${max}`, v);
      return n;
    },
    () => ({ type: 'integer', minimum: min, maximum: max }),
  );
}

export function num(opts: { min?: number; max?: number } = {}): Schema<number> {
  return schema(
    (v, loc, issues) => {
      const n = typeof v === 'boolean' ? undefined : toNumber(v);
      if (n === undefined) return fail(issues, loc, 'float_parsing', 'Input should be a valid number', v);
      if (opts.min !== undefined && n < opts.min)
        return fail(issues, loc, 'greater_than_equal', `Input should be greater than or equal to ${opts.min}`, v);
      if (opts.max !== undefined && n > opts.max)
        return fail(issues, loc, 'less_than_equal', `Input should be less than or equal to ${opts.max}`, v);
      return n;
    },
    () => ({ type: 'number', minimum: opts.min, maximum: opts.max }),
  );
}

const TRUE = new Set(['true', '1', 'yes', 'on', 't', 'y']);
const FALSE = new Set(['false', '0', 'no', 'off', 'f', 'n']);

export function bool(): Schema<boolean> {
  return schema(
    (v, loc, issues) => {
      if (typeof v === 'boolean') return v;
      if (typeof v === 'string') {
        const s = v.toLowerCase();
        if (TRUE.has(s)) return true;
        if (FALSE.has(s)) return false;
      }
      if (v === 0 || v === 1) return v === 1;
      return fail(issues, loc, 'bool_parsing', 'Input should be a valid boolean', v);
    },
    () => ({ type: 'boolean' }),
  );
}

export function literal<const T extends string>(values: readonly T[]): Schema<T> {
  const set = new Set<string>(values);
  return schema(
    (v, loc, issues) =>
      typeof v === 'string' && set.has(v)
        ? (v as T)
        : fail(
            issues,
            loc,
            'enum',
            `Input should be ${values
              .map((x) => `'${x}'`)
              .join(', ')
              .replace(/, ([^,]*)$/, ' or $1')}`,
            v,
          ),
    () => ({ type: 'string', enum: [...values] }),
  );
}

export function array<T>(item: Schema<T>, opts: { max?: number; min?: number } = {}): Schema<T[]> {
  return schema(
    (v, loc, issues) => {
      if (!Array.isArray(v)) return fail(issues, loc, 'list_type', 'Input should be a valid list', v);
      if (opts.max !== undefined && v.length > opts.max)
        return fail(
          issues,
          loc,
          'too_long',
          `List should have at most ${opts.max} items after validation, not ${v.length}`,
          v,
        );
      if (opts.min !== undefined && v.length < opts.min)
        return fail(
          issues,
          loc,
          'too_short',
          `List should have at least ${opts.min} item${opts.min === 1 ? '' : 's'} after validation, not ${v.length}`,
          v,
        );
      const out: T[] = new Array(v.length);
      let ok = true;
      for (let i = 0; i < v.length; i++) {
        if (issuesFull(issues)) return stopEarly(issues, loc, v.length - i, 'item');
        const r = item.parse(v[i], [...loc, i], issues);
        if (r === INVALID) ok = false;
        else out[i] = r;
      }
      return ok ? out : INVALID;
    },
    () => ({ type: 'array', items: item.json(), maxItems: opts.max, minItems: opts.min }),
  );
}

/** A fixed-length list whose items each have their own schema (JSON Schema `prefixItems`). */
export function tuple<T extends unknown[]>(...items: { [K in keyof T]: Schema<T[K]> }): Schema<T> {
  return schema(
    (v, loc, issues) => {
      if (!Array.isArray(v) || v.length !== items.length)
        return fail(issues, loc, 'tuple_type', `Input should be a list of ${items.length} items`, v);
      const out: unknown[] = [];
      for (let i = 0; i < items.length; i++) {
        const r = items[i].parse(v[i], [...loc, i], issues);
        if (r === INVALID) return INVALID;
        out.push(r);
      }
      return out as T;
    },
    () => ({
      type: 'array',
      prefixItems: items.map((s) => s.json()),
      minItems: items.length,
      maxItems: items.length,
    }),
  );
}

/**
 * A comma-separated list in one string (query parameters such as `task_runs=a,b`): blank items
 * are dropped, each other item is trimmed and parsed by `item` (issues located by index).
 */
export function commaList<T>(item: Schema<T>): Schema<T[]> {
  return schema(
    (v, loc, issues) => {
      if (typeof v !== 'string') return fail(issues, loc, 'string_type', 'Input should be a valid string', v);
      const parts = v
        .split(',')
        .map((p) => p.trim())
        .filter((p) => p !== '');
      const out: T[] = [];
      let ok = true;
      for (let i = 0; i < parts.length; i++) {
        if (issuesFull(issues)) return stopEarly(issues, loc, parts.length - i, 'item');
        const r = item.parse(parts[i], [...loc, i], issues);
        if (r === INVALID) ok = false;
        else out.push(r);
      }
      return ok ? out : INVALID;
    },
    // Marked so that a tool caller's array can be joined (`capabilities/tool-schema.ts`).
    () => ({ type: 'string', description: 'Comma-separated list', 'x-comma-separated': true }),
  );
}

/** Any JSON value (payloads, parameters): kept as sent, cleaned and depth-checked (`cleanJsonValue`). */
export function any(): Schema<unknown> {
  return schema(
    (v, loc, issues) => cleanJsonValue(v, loc, 0, issues),
    () => ({}),
  );
}

/** A JSON object of any content, cleaned and depth-checked like `any()`. */
export function jsonObject(): Schema<Record<string, unknown>> {
  return schema(
    (v, loc, issues) =>
      v !== null && typeof v === 'object' && !Array.isArray(v)
        ? (cleanJsonValue(v, loc, 0, issues) as Parsed<Record<string, unknown>>)
        : fail(issues, loc, 'dict_type', 'Input should be a valid dictionary', v),
    () => ({ type: 'object' }),
  );
}

export function record<T>(value: Schema<T>): Schema<Record<string, T>> {
  return schema(
    (v, loc, issues) => {
      if (v === null || typeof v !== 'object' || Array.isArray(v))
        return fail(issues, loc, 'dict_type', 'Input should be a valid dictionary', v);
      const out: Record<string, T> = {};
      let ok = true;
      const keys = Object.keys(v);
      for (let i = 0; i < keys.length; i++) {
        if (issuesFull(issues)) return stopEarly(issues, loc, keys.length - i, 'key');
        const k = keys[i];
        const r = value.parse((v as Record<string, unknown>)[k], [...loc, k], issues);
        if (r === INVALID) ok = false;
        else setOwn(out, cleanText(k), r);
      }
      return ok ? out : INVALID;
    },
    () => ({ type: 'object', additionalProperties: value.json() }),
  );
}

/** Tries each schema in turn; the first that accepts wins. */
export function oneOf<T>(...options: Schema<T>[]): Schema<T> {
  return schema(
    (v, loc, issues) => {
      const all: Issue[] = [];
      for (const o of options) {
        const local: Issue[] = [];
        const r = o.parse(v, loc, local);
        if (r !== INVALID) return r;
        all.push(...local);
      }
      issues.push(...all.slice(0, 1));
      return INVALID;
    },
    () => ({ anyOf: options.map((o) => o.json()) }),
  );
}

/** JSON `null` and nothing else (an answer whose body is `null`). */
export function nullValue(): Schema<null> {
  return schema(
    (v, loc, issues) => (v === null ? null : fail(issues, loc, 'none_required', 'Input should be None', v)),
    () => ({ type: 'null' }),
  );
}

/** A value or `null`: a response field that is always present, `null` when there is none. */
export function orNull<T>(s: Schema<T>): Schema<T | null> {
  return schema<T | null>(
    (v, loc, issues) => (v === null ? null : s.parse(v, loc, issues)),
    () => ({ anyOf: [s.json(), { type: 'null' }] }),
  );
}

/**
 * A schema with a name (its JSON Schema `title`): OpenAPI documents list it once under
 * `components.schemas` and refer to it wherever it appears (`hoistNamed` in `openapi-components.ts`).
 */
export function named<T>(name: string, s: Schema<T>): Schema<T> {
  return schema(s.parse, () => ({ title: name, ...s.json() }));
}

/** Post-validation refinement: `check` returns an error message or undefined. */
export function refine<T>(base: Schema<T>, check: (v: T) => string | undefined): Schema<T> {
  return schema(
    (v, loc, issues) => {
      const r = base.parse(v, loc, issues);
      if (r === INVALID) return r;
      const msg = check(r);
      return msg ? fail(issues, loc, 'value_error', msg, v) : r;
    },
    () => base.json(),
  );
}

// ---- objects ------------------------------------------------------------------------------

interface Field<T> {
  schema: Schema<T>;
  required: boolean;
  default?: () => T;
  /** An explicit JSON `null` is kept as `null` (pydantic's `Optional[X] = default`). */
  keepNull?: boolean;
}

export type Shape = Record<string, Field<any> | Schema<any>>;

type FieldType<F> = F extends Field<infer T> ? T : F extends Schema<infer T> ? T : never;
type RequiredKeys<S extends Shape> = {
  [K in keyof S]: S[K] extends Field<any> ? (S[K] extends { required: true } ? K : never) : K;
}[keyof S];
type DefaultedKeys<S extends Shape> = { [K in keyof S]: S[K] extends { default: () => any } ? K : never }[keyof S];
export type ObjectOf<S extends Shape> = { [K in RequiredKeys<S> | DefaultedKeys<S>]: FieldType<S[K]> } & {
  [K in Exclude<keyof S, RequiredKeys<S> | DefaultedKeys<S>>]?: FieldType<S[K]>;
};

/** An optional field: absent or `null` means absent (or the default, when one is given). */
export function optional<T>(s: Schema<T>): Field<T> & { required: false };
export function optional<T>(s: Schema<T>, dflt: () => T): Field<T> & { required: false; default: () => T };
export function optional<T>(s: Schema<T>, dflt?: () => T): Field<T> {
  return { schema: s, required: false, default: dflt };
}

/**
 * A field whose explicit `null` is a value, not an absence: absent → the default, `null` → `null`,
 * anything else → parsed by `s` (pydantic's `Optional[X] = default`, echoed back as sent).
 */
export function nullable<T>(
  s: Schema<T>,
  dflt: () => T | null,
): Field<T | null> & { required: false; default: () => T | null } {
  return { schema: s as Schema<T | null>, required: false, default: dflt, keepNull: true };
}

function asField(f: Field<any> | Schema<any>): Field<any> {
  return 'schema' in f ? f : { schema: f, required: true };
}

export interface ObjectSchema<T> extends Schema<T> {
  readonly fields: Record<string, Field<any>>;
}

/** `extra: 'forbid'` rejects unknown keys (Prefect's action and filter models); `'ignore'` drops them. */
export function object<S extends Shape>(
  shape: S,
  opts: { extra?: 'forbid' | 'ignore' } = {},
): ObjectSchema<ObjectOf<S>> {
  const fields: Record<string, Field<any>> = {};
  for (const [k, f] of Object.entries(shape)) fields[k] = asField(f);
  const keys = Object.keys(fields);
  const forbid = (opts.extra ?? 'forbid') === 'forbid';
  const base = schema<ObjectOf<S>>(
    (v, loc, issues) => {
      if (v === null || typeof v !== 'object' || Array.isArray(v))
        return fail(issues, loc, 'model_type', 'Input should be a valid dictionary or object', v);
      const input = v as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      let ok = true;
      for (let i = 0; i < keys.length; i++) {
        if (issuesFull(issues)) return stopEarly(issues, loc, keys.length - i, 'field');
        const k = keys[i];
        const f = fields[k];
        const x = input[k];
        if (x === null && f.keepNull) {
          out[k] = null;
          continue;
        }
        if (x === undefined || (x === null && !f.required)) {
          if (f.required) {
            issues.push({ loc: [...loc, k], msg: 'Field required', type: 'missing', input: v });
            ok = false;
          } else if (f.default) out[k] = f.default();
          continue;
        }
        const r = f.schema.parse(x, [...loc, k], issues);
        if (r === INVALID) ok = false;
        else out[k] = r;
      }
      if (forbid) {
        const given = Object.keys(input);
        for (let i = 0; i < given.length; i++) {
          if (issuesFull(issues)) return stopEarly(issues, loc, given.length - i, 'field');
          const k = given[i];
          if (!Object.hasOwn(fields, k)) {
            issues.push({
              loc: [...loc, k],
              msg: 'Extra inputs are not permitted',
              type: 'extra_forbidden',
              input: input[k],
            });
            ok = false;
          }
        }
      }
      return ok ? (out as ObjectOf<S>) : INVALID;
    },
    () => {
      const properties: Record<string, JsonSchema> = {};
      const required: string[] = [];
      for (const k of keys) {
        const f = fields[k];
        properties[k] = f.keepNull ? { anyOf: [f.schema.json(), { type: 'null' }] } : f.schema.json();
        if (f.required) required.push(k);
      }
      return {
        type: 'object',
        properties,
        ...(required.length ? { required } : {}),
        ...(forbid ? { additionalProperties: false } : {}),
      };
    },
  );
  return Object.assign(base, { fields });
}

/**
 * Documents a value as `s` does but leaves it as received, for a caller that validates it with
 * facts the schema cannot know (event ingest stamps each event with its tenant and names the
 * event of each issue).
 */
export function unparsed(s: Schema<unknown>): Schema<unknown> {
  return schema<unknown>(
    (v) => v,
    () => s.json(),
  );
}

/**
 * A query or body documented by `doc` (its fields become the documented parameters) but handed
 * over as received, every key included, for a caller whose errors are not validation issues (the
 * flow-run management API names an unsupported parameter with its own code).
 */
export function unparsedObject(doc: ObjectSchema<unknown>): ObjectSchema<Record<string, unknown>> {
  const s = schema<Record<string, unknown>>(
    (v, loc, issues) =>
      v !== null && typeof v === 'object' && !Array.isArray(v)
        ? (v as Record<string, unknown>)
        : fail(issues, loc, 'model_type', 'Input should be a valid dictionary or object', v),
    () => doc.json(),
  );
  return Object.assign(s, { fields: doc.fields });
}

/** JSON Schema cleaned of `undefined` members, for documents. */
export function cleanJson(s: JsonSchema): JsonSchema {
  return JSON.parse(JSON.stringify(s));
}
