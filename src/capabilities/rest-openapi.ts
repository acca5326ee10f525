/** The gateway's OpenAPI document (`/v1/openapi.json`), derived from the loaded capability files. */
import type { JsonSchema } from './model.ts';
import type { RestEntry } from './rest-adapter.ts';

const norm = (name: string) => name.replaceAll('-', '_');

export function buildRestOpenApi(
  entries: RestEntry[],
  info: { title: string; version: string },
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
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
        operationId: op.name,
        summary: op.description,
        ...(op.call.notes ? { description: op.call.notes } : {}),
        tags: [resource.name],
        parameters,
        ...(requestBody ? { requestBody } : {}),
        responses: {
          default: {
            description:
              'The consumed API’s answer, passed through (status, body, Content-Type, ETag, Content-Disposition, Retry-After).',
          },
          '400': { description: 'Gateway error: a required input is missing ({code, message}).' },
          '405': { description: 'Method not allowed on this resource (see Allow).' },
          '502': { description: 'The consumed API is unreachable ({code, message}).' },
          '504': { description: 'The consumed API did not answer in time ({code, message}).' },
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
  };
}
