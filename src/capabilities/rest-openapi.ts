/** The gateway's OpenAPI document (`/v1/openapi.json`), derived from the loaded capability files. */
import { codedErrorSchema } from '../api/errors.ts';
import { type Components, hoistNamed } from '../lib/openapi-components.ts';
import { cleanJson } from '../lib/schema.ts';
import type { JsonSchema } from './model.ts';
import type { RestEntry } from './rest-adapter.ts';

const norm = (name: string) => name.replaceAll('-', '_');

/** Longest operationId: code generators turn them into method names, and long ones read badly. */
export const MAX_OPERATION_ID = 40;

/**
 * Names each operation after its description in camelCase (`Read Span Context` →
 * `readSpanContext`), at most `MAX_OPERATION_ID` characters; a name taken already gets `2`, `3`…
 * in file order, so ids stay the same while the files do.
 */
function operationIds(): (text: string) => string {
  const used = new Set<string>();
  const room = MAX_OPERATION_ID - 2;
  return (text) => {
    const words = text.match(/[A-Za-z0-9]+/g) ?? ['operation'];
    let base = words[0].toLowerCase().slice(0, room);
    for (const w of words.slice(1)) {
      const next = base + w[0].toUpperCase() + w.slice(1).toLowerCase();
      if (next.length > room) break;
      base = next;
    }
    let id = base;
    for (let n = 2; used.has(id); n++) id = `${base}${n}`;
    used.add(id);
    return id;
  };
}

/** The gateway's own errors, in its `{code, message}` shape; they replace the API's for these statuses. */
const GATEWAY_ERRORS: Record<string, string> = {
  '400': 'Gateway error: a required input is missing.',
  '401': 'Under --auth: no valid API key.',
  '403': "Under --auth: the key's scope or workspaces do not allow this.",
  '405': 'Method not allowed on this resource (see Allow).',
  '413': 'The body is larger than --max-body.',
  '429': 'Rate limited: retry after Retry-After seconds.',
  '502': 'The consumed API is unreachable.',
  '504': 'The consumed API did not answer in time.',
};

const PASSED_THROUGH =
  'The consumed API’s answer, passed through (status, body, Content-Type, ETag, Content-Disposition, Retry-After).';

export function buildRestOpenApi(
  entries: RestEntry[],
  info: { title: string; version: string },
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const components: Components = {};
  const coded = { 'application/json': { schema: hoistNamed(cleanJson(codedErrorSchema.json()), components) } };
  const idOf = operationIds();
  const seen = new Set<string>();
  for (const { resource, operation: op } of entries) {
    const key = `${op.method} ${resource.path}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const pathVars = [...resource.path.matchAll(/\{\{?([^{}]+)\}?\}/g)].map((m) => m[1]);
    const parameters: Record<string, unknown>[] = [];
    let requestBody: Record<string, unknown> | undefined;
    for (const [consumed, binding] of op.with) {
      if (binding.kind !== 'input') continue;
      const p = op.call.params.find((x) => x.name === consumed);
      if (!p) continue;
      const schema: JsonSchema = { ...p.schema };
      const description = p.description ?? (schema.description as string | undefined);
      delete schema.description;
      const pathVar = pathVars.find((v) => norm(v) === norm(binding.name));
      if (pathVar) {
        parameters.push({ name: pathVar, in: 'path', required: true, schema, ...(description ? { description } : {}) });
      } else if (p.in === 'body') {
        requestBody = {
          required: p.required,
          content: { 'application/json': { schema } },
          ...(description ? { description } : {}),
        };
      } else if (p.in !== 'path') {
        parameters.push({
          name: binding.name,
          in: p.in === 'header' ? 'header' : 'query',
          required: p.required,
          schema,
          ...(description ? { description } : {}),
        });
      }
    }
    for (const v of pathVars)
      if (!parameters.some((x) => x.in === 'path' && x.name === v))
        parameters.push({ name: v, in: 'path', required: true, schema: { type: 'string' } });
    paths[resource.path] = {
      ...paths[resource.path],
      [op.method.toLowerCase()]: {
        operationId: idOf(op.description || op.name),
        summary: op.description,
        ...(op.call.notes ? { description: op.call.notes } : {}),
        tags: [resource.name],
        parameters,
        ...(requestBody ? { requestBody } : {}),
        responses: {
          ...(op.call.responses
            ? (hoistNamed(op.call.responses, components) as Record<string, unknown>)
            : { default: { description: PASSED_THROUGH } }),
          ...Object.fromEntries(
            Object.entries(GATEWAY_ERRORS).map(([status, description]) => [status, { description, content: coded }]),
          ),
        },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: info.title,
      version: info.version,
      description:
        'REST gateway served by Sightline from its capability files. Each resource calls one consumed operation and passes its answer through.',
    },
    paths,
    components: { schemas: components },
  };
}
