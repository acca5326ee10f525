/**
 * A small validation library: each schema parses untrusted JSON into a typed value, reports
 * problems as pydantic-style issues (`loc`, `msg`, `type`) and describes itself as JSON Schema
 * (for OpenAPI documents and MCP tool schemas). Parsing is lax the way pydantic is: numeric
 * strings are accepted for numbers (query strings are text), and every optional field treats an
 * explicit JSON `null` as absent, because the Prefect client sends `"offset": null` and friends.
 */
import { invalidInput, type Issue } from './errors.ts';
import { normalizeUuid } from './ids.ts';
import { type Micros, parseIsoMicros } from './time.ts';

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

function schema<T>(parse: Schema<T>['parse'], json: () => JsonSchema): Schema<T> {
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

function fail(issues: Issue[], loc: Loc, type: string, msg: string, input: unknown): typeof INVALID {
  issues.push({ loc, msg, type, input });
  return INVALID;
}

export function str(opts: { min?: number; max?: number; pattern?: RegExp; patternHint?: string } = {}): Schema<string> {
  return schema(
    (v, loc, issues) => {
      if (typeof v !== 'string') return fail(issues, loc, 'string_type', 'Input should be a valid string', v);
      if (opts.min !== undefined && v.length < opts.min)
        return fail(issues, loc, 'string_too_short', `String should have at least ${opts.min} character${opts.min === 1 ? '' : 's'}`, v);
      if (opts.max !== undefined && v.length > opts.max)
        return fail(issues, loc, 'string_too_long', `String should have at most ${opts.max} characters`, v);
      if (opts.pattern && !opts.pattern.test(v))
        return fail(issues, loc, 'string_pattern_mismatch', opts.patternHint ?? `String should match pattern '${opts.pattern.source}'`, v);
      return v;
    },
    () => ({ type: 'string', minLength: opts.min, maxLength: opts.max }),
  );
}

function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '' && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v.trim())) return Number(v);
  return undefined;
}

export function int(opts: { min?: number; max?: number } = {}): Schema<number> {
  return schema(
    (v, loc, issues) => {
      const n = typeof v === 'boolean' ? undefined : toNumber(v);
      if (n === undefined || !Number.isInteger(n))
        return fail(issues, loc, 'int_parsing', 'Input should be a valid integer', v);
      if (opts.min !== undefined && n < opts.min)
        return fail(issues, loc, 'greater_than_equal', `Input should be greater than or equal to ${opts.min}`, v);
      if (opts.max !== undefined && n > opts.max)
        return fail(issues, loc, 'less_than_equal', `Input should be less than or equal to ${opts.max}`, v);
      return n;
    },
    () => ({ type: 'integer', minimum: opts.min, maximum: opts.max }),
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

export function uuid(): Schema<string> {
  return schema(
    (v, loc, issues) => {
      const id = typeof v === 'string' ? normalizeUuid(v) : undefined;
      return id ?? fail(issues, loc, 'uuid_parsing', 'Input should be a valid UUID', v);
    },
    () => ({ type: 'string', format: 'uuid' }),
  );
}

/** An ISO-8601 date-time, parsed to integer microseconds since the epoch. */
export function datetime(): Schema<Micros> {
  return schema(
    (v, loc, issues) => {
      const t = typeof v === 'string' ? parseIsoMicros(v) : undefined;
      return t ?? fail(issues, loc, 'datetime_parsing', 'Input should be a valid datetime', v);
    },
    () => ({ type: 'string', format: 'date-time' }),
  );
}

export function literal<const T extends string>(values: readonly T[]): Schema<T> {
  const set = new Set<string>(values);
  return schema(
    (v, loc, issues) =>
      typeof v === 'string' && set.has(v)
        ? (v as T)
        : fail(issues, loc, 'enum', `Input should be ${values.map((x) => `'${x}'`).join(', ').replace(/, ([^,]*)$/, ' or $1')}`, v),
    () => ({ type: 'string', enum: [...values] }),
  );
}

export function array<T>(item: Schema<T>, opts: { max?: number; min?: number } = {}): Schema<T[]> {
  return schema(
    (v, loc, issues) => {
      if (!Array.isArray(v)) return fail(issues, loc, 'list_type', 'Input should be a valid list', v);
      if (opts.max !== undefined && v.length > opts.max)
        return fail(issues, loc, 'too_long', `List should have at most ${opts.max} items after validation, not ${v.length}`, v);
      if (opts.min !== undefined && v.length < opts.min)
        return fail(issues, loc, 'too_short', `List should have at least ${opts.min} item${opts.min === 1 ? '' : 's'} after validation, not ${v.length}`, v);
      const out: T[] = new Array(v.length);
      let ok = true;
      for (let i = 0; i < v.length; i++) {
        const r = item.parse(v[i], [...loc, i], issues);
        if (r === INVALID) ok = false;
        else out[i] = r;
      }
      return ok ? out : INVALID;
    },
    () => ({ type: 'array', items: item.json(), maxItems: opts.max, minItems: opts.min }),
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
      const parts = v.split(',').map((p) => p.trim()).filter((p) => p !== '');
      const out: T[] = [];
      let ok = true;
      for (let i = 0; i < parts.length; i++) {
        const r = item.parse(parts[i], [...loc, i], issues);
        if (r === INVALID) ok = false;
        else out.push(r);
      }
      return ok ? out : INVALID;
    },
    () => ({ type: 'string', description: 'Comma-separated list' }),
  );
}

/** Any JSON value (payloads, parameters): kept as is. */
export function any(): Schema<unknown> {
  return schema(
    (v) => v,
    () => ({}),
  );
}

export function jsonObject(): Schema<Record<string, unknown>> {
  return schema(
    (v, loc, issues) =>
      v !== null && typeof v === 'object' && !Array.isArray(v)
        ? (v as Record<string, unknown>)
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
      for (const [k, x] of Object.entries(v)) {
        const r = value.parse(x, [...loc, k], issues);
        if (r === INVALID) ok = false;
        else out[k] = r;
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
export function nullable<T>(s: Schema<T>, dflt: () => T | null): Field<T | null> & { required: false; default: () => T | null } {
  return { schema: s as Schema<T | null>, required: false, default: dflt, keepNull: true };
}

function asField(f: Field<any> | Schema<any>): Field<any> {
  return 'schema' in f ? f : { schema: f, required: true };
}

export interface ObjectSchema<T> extends Schema<T> {
  readonly fields: Record<string, Field<any>>;
}

/** `extra: 'forbid'` rejects unknown keys (Prefect's action and filter models); `'ignore'` drops them. */
export function object<S extends Shape>(shape: S, opts: { extra?: 'forbid' | 'ignore' } = {}): ObjectSchema<ObjectOf<S>> {
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
      for (const k of keys) {
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
        for (const k in input) {
          if (!(k in fields)) {
            issues.push({ loc: [...loc, k], msg: 'Extra inputs are not permitted', type: 'extra_forbidden', input: input[k] });
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

/** Parses or throws an `invalid_input` AppError carrying every issue found. */
export function parseOrThrow<T>(s: Schema<T>, value: unknown, loc: Loc, requestBody?: unknown): T {
  const issues: Issue[] = [];
  const r = s.parse(value, loc, issues);
  if (r === INVALID || issues.length) throw invalidInput(issues, requestBody === undefined ? value : requestBody);
  return r;
}

/** JSON Schema cleaned of `undefined` members, for documents. */
export function cleanJson(s: JsonSchema): JsonSchema {
  return JSON.parse(JSON.stringify(s));
}

