/**
 * A tool's input schema, derived from its `with` entries and the (corrected) consumed parameter
 * definitions, and the validator that checks arguments against it with messages naming the
 * argument. Top-level arguments are checked here; a body's inner fields are left to the API
 * that consumes it, whose error comes back as an `isError` result.
 */
import { MAX_ISSUES } from '../lib/schema.ts';
import type { JsonSchema, McpToolDef } from './model.ts';

type Obj = Record<string, unknown>;

export interface ToolSchema {
  json: JsonSchema;
  /** Returns the coerced arguments, or the problems, each naming its argument. */
  validate(args: unknown): { value: Obj } | { issues: { message: string; path: string[] }[] };
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

export function deriveToolSchema(tool: McpToolDef, optional: ReadonlySet<string>): ToolSchema {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const [key, binding] of tool.with) {
    if (binding.kind !== 'input') continue;
    const param = tool.call.params.find((p) => p.name === key);
    if (!param) continue;
    const schema: JsonSchema = { ...param.schema };
    const description = param.description ?? (schema.description as string | undefined);
    if (description) schema.description = description;
    properties[binding.name] = schema;
    if (param.required && !optional.has(key) && !required.includes(binding.name)) required.push(binding.name);
  }
  const json: JsonSchema = {
    type: 'object',
    properties,
    ...(required.length ? { required } : {}),
    additionalProperties: false,
  };

  return {
    json,
    validate(args) {
      const input = (args ?? {}) as Obj;
      if (typeof input !== 'object' || Array.isArray(input))
        return { issues: [{ message: 'arguments must be an object', path: [] }] };
      const issues: { message: string; path: string[] }[] = [];
      const value: Obj = {};
      for (const [name, v] of Object.entries(input)) {
        // Bounded like every error: at most MAX_ISSUES problems, names cut short.
        if (issues.length >= MAX_ISSUES) {
          issues.push({ message: 'too many problems; the remaining arguments were not checked', path: [] });
          break;
        }
        const schema = Object.hasOwn(properties, name) ? properties[name] : undefined;
        if (!schema) {
          const shown = name.length > 100 ? `${name.slice(0, 100)}…` : name;
          issues.push({
            message: `unknown argument '${shown}' (known: ${Object.keys(properties).join(', ') || 'none'})`,
            path: [shown],
          });
          continue;
        }
        if (v === null || v === undefined) continue;
        const r = check(name, schema, v);
        if ('message' in r) issues.push({ message: r.message, path: [name] });
        else value[name] = r.value;
      }
      for (const name of required)
        if (value[name] === undefined && !issues.some((i) => i.path[0] === name))
          issues.push({ message: `argument '${name}' is required`, path: [name] });
      return issues.length ? { issues } : { value };
    },
  };
}

/** Checks (and coerces) one value against its JSON Schema; messages name the argument. */
export function checkValue(name: string, s: JsonSchema, v: unknown): { value: unknown } | { message: string } {
  return check(name, s, v);
}

function check(name: string, s: JsonSchema, v: unknown): { value: unknown } | { message: string } {
  const bad = (what: string) => ({ message: `argument '${name}' ${what}` });
  switch (s.type) {
    case 'string': {
      // Models often send 5 for "5": a number or boolean is taken as its JSON text; a list for a
      // comma-separated one is joined.
      if (typeof v === 'number' || typeof v === 'boolean') v = String(v);
      if (Array.isArray(v) && s['x-comma-separated'] && v.every((x) => typeof x === 'string')) v = v.join(',');
      if (typeof v !== 'string') return bad('must be a string');
      if (Array.isArray(s.enum) && !s.enum.includes(v)) return bad(`must be one of ${s.enum.join(', ')}`);
      if (typeof s.maxLength === 'number' && v.length > s.maxLength)
        return bad(`must be at most ${s.maxLength} characters`);
      if (typeof s.minLength === 'number' && v.length < s.minLength)
        return bad(`must be at least ${s.minLength} characters`);
      if (s.format === 'uuid' && !UUID.test(v)) return bad('must be a UUID');
      return { value: v };
    }
    case 'integer':
    case 'number': {
      const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
      if (typeof n !== 'number' || !Number.isFinite(n))
        return bad(`must be ${s.type === 'integer' ? 'an integer' : 'a number'}`);
      if (s.type === 'integer' && !Number.isInteger(n)) return bad('must be an integer');
      if (typeof s.minimum === 'number' && n < s.minimum) return bad(`must be at least ${s.minimum}`);
      if (typeof s.maximum === 'number' && n > s.maximum) return bad(`must be at most ${s.maximum}`);
      return { value: n };
    }
    case 'boolean':
      if (v === 'true' || v === 'false') return { value: v === 'true' };
      return typeof v === 'boolean' ? { value: v } : bad('must be true or false');
    case 'array': {
      const items = (s.items ?? {}) as JsonSchema;
      // A lone string stands for a one-item list; a lone object is a mistake worth naming.
      if (!Array.isArray(v) && (typeof v === 'object' || items.type === 'object')) return bad('must be an array');
      const list = Array.isArray(v) ? v : [v];
      const out: unknown[] = [];
      for (let i = 0; i < list.length; i++) {
        if (items.type === undefined || (items.type === 'object' && typeof list[i] === 'object')) {
          out.push(list[i]);
          continue;
        }
        const r = check(`${name}[${i}]`, items, list[i]);
        if ('message' in r) return r;
        out.push(r.value);
      }
      return { value: out };
    }
    case 'object':
      return typeof v === 'object' && !Array.isArray(v) ? { value: v } : bad('must be an object');
    default:
      return { value: v };
  }
}
