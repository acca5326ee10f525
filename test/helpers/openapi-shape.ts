/**
 * Checks an answer against a response schema of an OpenAPI document: types, required fields,
 * enums, formats (uuid, date-time), items and tuples, `anyOf`/`oneOf`/`allOf`, `$ref`s. Against
 * Prefect's document (`../shared/reference/prefect-cloud-openapi/prefect-openapi.json`), fields the
 * schema does not name are reported too: an answer has Prefect's field names, not more. Against
 * Sightline's own documents, fields are extra where the schema says so (`additionalProperties: false`).
 */
import { readFileSync } from 'node:fs';

type Json = any;

const DOC_URL = new URL('../../../shared/reference/prefect-cloud-openapi/prefect-openapi.json', import.meta.url);
const CLOUD = '/api/accounts/{account_id}/workspaces/{workspace_id}';
let doc: Json;

function load(): Json {
  doc ??= JSON.parse(readFileSync(DOC_URL, 'utf8'));
  return doc;
}

/** The 2xx JSON schema Prefect documents for `method path` (path relative to the API root, `{id}` style). */
export function responseSchema(method: string, path: string): Json | undefined {
  const op = load().paths[CLOUD + path]?.[method.toLowerCase()];
  const ok = op && (op.responses['200'] ?? op.responses['201']);
  return ok?.content?.['application/json']?.schema;
}

/** A component schema by name (`FlowRunResponse`). */
export function componentSchema(name: string): Json {
  return load().components.schemas[name];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

interface Against {
  /** The document whose `components.schemas` the `$ref`s name. */
  doc: Json;
  /** Every field the schema does not name is an error (Prefect's document), not only where forbidden. */
  namedFieldsOnly: boolean;
}

/** Every mismatch between `value` and `schema` of Prefect's document, as `path: what` lines (empty when it conforms). */
export function shapeErrors(value: unknown, schema: Json, at = '$'): string[] {
  return check(value, schema, at, { doc: load(), namedFieldsOnly: true });
}

/** Every mismatch between `value` and `schema` of the OpenAPI document `doc` (`$ref`s resolved in it). */
export function documentShapeErrors(doc: Json, value: unknown, schema: Json): string[] {
  return check(value, schema, '$', { doc, namedFieldsOnly: false });
}

function check(value: unknown, schema: Json, at: string, against: Against): string[] {
  const shapeErrors = (v: unknown, s: Json, a: string) => check(v, s, a, against);
  if (!schema || Object.keys(schema).length === 0) return [];
  if (schema.$ref) return shapeErrors(value, against.doc.components.schemas[schema.$ref.split('/').pop()], at);
  if (schema.allOf) return schema.allOf.flatMap((s: Json) => shapeErrors(value, s, at));
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) {
    const each = alternatives.map((s: Json) => shapeErrors(value, s, at));
    return each.some((e: string[]) => e.length === 0)
      ? []
      : each.reduce((a: string[], b: string[]) => (a.length <= b.length ? a : b));
  }
  if (schema.const !== undefined && value !== schema.const) return [`${at}: expected ${JSON.stringify(schema.const)}`];
  if (schema.enum && !schema.enum.includes(value))
    return [`${at}: ${JSON.stringify(value)} not in ${schema.enum.join('|')}`];
  switch (schema.type) {
    case 'null':
      return value === null ? [] : [`${at}: expected null`];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${at}: expected boolean, got ${JSON.stringify(value)}`];
    case 'integer':
      return Number.isInteger(value) ? [] : [`${at}: expected integer, got ${JSON.stringify(value)}`];
    case 'number':
      return typeof value === 'number' ? [] : [`${at}: expected number, got ${JSON.stringify(value)}`];
    case 'string':
      if (typeof value !== 'string') return [`${at}: expected string, got ${JSON.stringify(value)}`];
      if (schema.format === 'uuid' && !UUID.test(value)) return [`${at}: not a uuid: ${value}`];
      if (schema.format === 'date-time' && !DATE_TIME.test(value)) return [`${at}: not a date-time: ${value}`];
      return [];
    case 'array': {
      if (!Array.isArray(value)) return [`${at}: expected array`];
      if (schema.prefixItems)
        return schema.prefixItems.flatMap((s: Json, i: number) => shapeErrors(value[i], s, `${at}[${i}]`));
      return value.flatMap((v, i) => shapeErrors(v, schema.items, `${at}[${i}]`));
    }
    case 'object':
    case undefined: {
      if (schema.type === undefined && !schema.properties && !schema.additionalProperties) return [];
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${at}: expected object`];
      const props: Record<string, Json> = schema.properties ?? {};
      const errors: string[] = [];
      for (const k of schema.required ?? []) if (!(k in value)) errors.push(`${at}.${k}: missing`);
      for (const [k, v] of Object.entries(value)) {
        if (props[k]) errors.push(...shapeErrors(v, props[k], `${at}.${k}`));
        else if (typeof schema.additionalProperties === 'object')
          errors.push(...shapeErrors(v, schema.additionalProperties, `${at}.${k}`));
        else if (schema.additionalProperties === false || (against.namedFieldsOnly && schema.properties))
          errors.push(`${at}.${k}: not in the schema`);
      }
      return errors;
    }
    default:
      return [];
  }
}
