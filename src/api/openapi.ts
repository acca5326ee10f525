/** The OpenAPI document of the native API, derived from the route table. */

import { SIGHTLINE_VERSION } from '../config/version.ts';
import { cleanJson, type ObjectSchema, type Schema } from '../lib/schema.ts';
import { CLOUD_PREFIX, type FixedRouteDef, forFamily, type Method, type RouteDef } from './router.ts';
import { API_VERSION } from './routes/root.ts';

function openapiPath(url: string): string {
  return url.replace(/:([a-z_]+)/g, '{$1}');
}

type Documented = Omit<FixedRouteDef, 'handler' | 'method' | 'query' | 'body'> & {
  method: Method;
  operationId: string;
  query?: ObjectSchema<unknown>;
  body?: Schema<unknown>;
};

/** Every route of the table (on each of its path families) and every fixed route, as documented. */
function documented(routes: RouteDef[], fixed: FixedRouteDef[]): Documented[] {
  const out: Documented[] = [];
  const id = (method: string, prefix: string, path: string) =>
    `${method.toLowerCase()}_${prefix}${path.replace(/[^a-z0-9]+/gi, '_').replace(/^_|_$/g, '')}`;
  for (const r of routes)
    for (const family of r.families ?? ['oss', 'cloud'])
      out.push({
        ...r,
        url: (family === 'oss' ? '/api' : CLOUD_PREFIX) + r.path,
        operationId: id(r.method, `${family}_`, r.path),
        query: forFamily(r.query, family),
        body: forFamily(r.body, family),
      });
  for (const r of fixed)
    out.push({
      ...r,
      operationId: id(r.method, '', r.url.replace(/:([a-z_]+)/g, '$1')),
      query: forFamily(r.query, 'cloud'),
      body: forFamily(r.body, 'cloud'),
    });
  return out;
}

export function buildOpenApi(routes: RouteDef[], fixed: FixedRouteDef[] = []): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of documented(routes, fixed)) {
    const url = openapiPath(r.url);
    const params = [...url.matchAll(/\{([a-z_]+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: r.params?.[m[1]] ? cleanJson(r.params[m[1]].json()) : { type: 'string', format: 'uuid' },
    }));
    if (r.query) {
      for (const [name, f] of Object.entries(r.query.fields)) {
        params.push({ name, in: 'query', required: f.required, schema: cleanJson(f.schema.json()) as never });
      }
    }
    const op: Record<string, unknown> = {
      tags: [r.tag],
      summary: r.summary,
      operationId: r.operationId,
      'x-sightline-scope': r.scope,
      parameters: params,
      responses: {
        [String(r.status ?? 200)]: { description: 'Success' },
        '422': { description: 'Validation error' },
      },
    };
    if (r.body)
      op.requestBody = { required: true, content: { 'application/json': { schema: cleanJson(r.body.json()) } } };
    paths[url] = { ...paths[url], [r.method.toLowerCase()]: op };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Sightline API',
      version: SIGHTLINE_VERSION,
      // The Prefect API version the routes follow (clients send theirs as X-Prefect-Api-Version).
      'x-prefect-api-version': API_VERSION,
      description:
        'Prefect-compatible API served by Sightline. Open-source paths address the default workspace; ' +
        'Cloud-style paths address /api/accounts/{account_id}/workspaces/{workspace_id}.',
    },
    paths,
  };
}
