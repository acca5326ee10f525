/**
 * Named schemas (`named()` in `schema.ts`, a JSON Schema `title`) written once into an OpenAPI
 * document's `components.schemas` and referred to by `$ref` everywhere else, so that a reader of
 * the document (or Swagger UI) sees one `FlowRun`, not forty copies of it.
 */
import type { JsonSchema } from './schema.ts';

/** Shared by every schema a document hoists: name → the one JSON Schema of that name. */
export type Components = Record<string, JsonSchema>;

/**
 * `json` with each named subschema moved to `components` and replaced by a `$ref`. Two different
 * schemas under one name are a programming error: thrown, so that the document's test fails.
 */
export function hoistNamed(json: JsonSchema, components: Components): JsonSchema {
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (node === null || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = walk(v);
    if (typeof out.title !== 'string') return out;
    const name = out.title;
    const known = components[name];
    if (known && JSON.stringify(known) !== JSON.stringify(out))
      throw new Error(`Two different schemas are named ${name}`);
    components[name] = out;
    return { $ref: `#/components/schemas/${name}` };
  };
  return walk(json) as JsonSchema;
}
