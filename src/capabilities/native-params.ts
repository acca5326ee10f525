/**
 * Parameter and response schemas of the native API's operations, derived from its route table:
 * what the shipped capability files consume in-process is validated by those very schemas, so the
 * tools and the REST gateway document the same types, limits and defaults, and the gateway the
 * answers it passes through. Looked up by the consumed operation's `METHOD path` (Cloud spelling,
 * `{name}` parameters).
 */
import { cloudResponses } from '../api/openapi.ts';
import { CLOUD_PREFIX, type FixedRouteDef, forFamily, type RouteDef } from '../api/router.ts';
import { apiRoutes, fixedRoutes } from '../api/routes/index.ts';
import { INT_MAX, INT_MIN, type JsonSchema, type ObjectSchema, type Schema } from '../lib/schema.ts';

const UUID: JsonSchema = { type: 'string', format: 'uuid' };

/** `/a/:x/b` and `/a/{x}/b` → `/a/{}/b`, with the parameter names in order. */
function shape(path: string): { key: string; names: string[] } {
  const names: string[] = [];
  const key = path.replace(/:([a-z_]+)|\{([^{}]+)\}/gi, (_m, a: string | undefined, b: string | undefined) => {
    names.push((a ?? b) as string);
    return '{}';
  });
  return { key, names };
}

/** JSON Schema for documents: the storage bounds every integer has by default are left out. */
function publicJson(s: Schema<unknown>): JsonSchema {
  return JSON.parse(JSON.stringify(s.json()), (_k, v) => {
    if (v && typeof v === 'object' && !Array.isArray(v) && v.type === 'integer') {
      const { minimum, maximum, ...rest } = v as Record<string, unknown>;
      return {
        ...rest,
        ...(minimum !== undefined && minimum !== INT_MIN ? { minimum } : {}),
        ...(maximum !== undefined && maximum !== INT_MAX ? { maximum } : {}),
      };
    }
    return v;
  });
}

const JSON_TYPE: Record<string, string> = { string: 'string', integer: 'number', number: 'number', boolean: 'boolean' };

function queryParams(q: ObjectSchema<unknown>): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  for (const [name, f] of Object.entries(q.fields)) {
    const json = publicJson(f.schema);
    // A constant default of the schema's own type is documented (a default of "now" is not).
    const dflt = f.default?.();
    const sameType = dflt !== undefined && typeof dflt === JSON_TYPE[String(json.type)];
    out[name] = sameType ? { ...json, default: dflt } : json;
  }
  return out;
}

interface Indexed {
  names: string[];
  spec: RouteDef | FixedRouteDef;
}

let index: Map<string, Indexed> | undefined;

function build(): Map<string, Indexed> {
  const map = new Map<string, Indexed>();
  const add = (method: string, url: string, spec: RouteDef | FixedRouteDef) => {
    const { key, names } = shape(url);
    map.set(`${method} ${key}`, { names, spec });
  };
  for (const r of apiRoutes) if ((r.families ?? ['cloud']).includes('cloud')) add(r.method, CLOUD_PREFIX + r.path, r);
  for (const r of fixedRoutes) add(r.method, r.url, r);
  return map;
}

function lookup(method: string, path: string): { names: string[]; hit?: Indexed } {
  index ??= build();
  const { key, names } = shape(path);
  return { names, hit: index.get(`${method} ${key}`) };
}

/** What the native operation behind `METHOD path` documents it answers, by status (OpenAPI `responses`). */
export function nativeResponses(method: string, path: string): Record<string, unknown> | undefined {
  const { hit } = lookup(method, path);
  return hit && cloudResponses(hit.spec);
}

/**
 * The parameters of the native operation behind `METHOD path` (named as `path` names them, plus
 * `body`), or undefined when the native API has no such operation.
 */
export function nativeParams(method: string, path: string): Record<string, JsonSchema> | undefined {
  const { names, hit } = lookup(method, path);
  if (!hit) return undefined;
  const { spec } = hit;
  const out: Record<string, JsonSchema> = {};
  hit.names.forEach((native, i) => {
    const declared = spec.params?.[native];
    out[names[i]] = declared ? publicJson(declared) : { ...UUID };
  });
  const query = forFamily(spec.query, 'cloud');
  if (query) Object.assign(out, queryParams(query));
  const body = forFamily(spec.body, 'cloud');
  if (body) out.body = publicJson(body);
  return out;
}
