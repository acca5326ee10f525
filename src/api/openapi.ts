/** The OpenAPI document of the native API, derived from the route table. */

import { SIGHTLINE_VERSION } from '../config/version.ts';
import { type Components, hoistNamed } from '../lib/openapi-components.ts';
import { cleanJson, type JsonSchema, type ObjectSchema, type Schema } from '../lib/schema.ts';
import type { PathFamily } from '../ops/context.ts';
import { type ErrorShape, errorSchema, MANAGEMENT_API } from './errors.ts';
import {
  CLOUD_PREFIX,
  type FixedRouteDef,
  forFamily,
  type Method,
  type ResponseBody,
  type Responses,
  type RouteDef,
} from './router.ts';
import { API_VERSION } from './routes/root.ts';

function openapiPath(url: string): string {
  return url.replace(/:([a-z_]+)/g, '{$1}');
}

type Documented = Omit<FixedRouteDef, 'handler' | 'method' | 'query' | 'body' | 'response'> & {
  method: Method;
  operationId: string;
  query?: ObjectSchema<unknown>;
  body?: Schema<unknown>;
  response: Responses;
  errorShape: ErrorShape;
};

const operationId = (method: string, prefix: string, path: string) =>
  `${method.toLowerCase()}_${prefix}${path.replace(/[^a-z0-9]+/gi, '_').replace(/^_|_$/g, '')}`;

/** A route of the table on one path family, as documented. */
function onFamily(r: RouteDef, family: PathFamily): Documented {
  const url = (family === 'oss' ? '/api' : CLOUD_PREFIX) + r.path;
  return {
    ...r,
    url,
    operationId: operationId(r.method, `${family}_`, r.path),
    query: forFamily(r.query, family),
    body: forFamily(r.body, family),
    response: forFamily(r.response, family) as Responses,
    errorShape: MANAGEMENT_API.test(openapiPath(url)) ? 'coded' : family,
  };
}

function fixedRoute(r: FixedRouteDef): Documented {
  return {
    ...r,
    operationId: operationId(r.method, '', r.url.replace(/:([a-z_]+)/g, '$1')),
    query: forFamily(r.query, 'cloud'),
    body: forFamily(r.body, 'cloud'),
    response: forFamily(r.response, 'cloud') as Responses,
    errorShape: 'cloud',
  };
}

/** Every route of the table (on each of its path families) and every fixed route, as documented. */
function documented(routes: RouteDef[], fixed: FixedRouteDef[]): Documented[] {
  return [
    ...routes.flatMap((r) => (r.families ?? (['oss', 'cloud'] as const)).map((f) => onFamily(r, f))),
    ...fixed.map(fixedRoute),
  ];
}

const isBody = (r: Responses): r is ResponseBody => r === null || 'json' in r || 'file' in r;

/** Each success status with its body. */
function successes(r: Documented): [number, ResponseBody][] {
  const { response } = r;
  if (isBody(response)) return [[r.status ?? 200, response]];
  return Object.entries(response).map(([status, body]) => [Number(status), body]);
}

const DESCRIPTIONS: Record<number, string> = {
  200: 'Success.',
  201: 'Created.',
  202: 'Accepted.',
  204: 'Success, no body.',
  304: 'Not modified: the ETag sent in If-None-Match is still current.',
  400: 'Bad request: a parameter the operation does not support, or a request it cannot answer.',
  401: 'Under --auth: no valid API key.',
  403: "Under --auth: the key's scope or workspaces do not allow this.",
  404: 'Not found: an unknown id or workspace, or a malformed id in the path.',
  409: 'Conflict with the current state of the object (the message says which).',
  410: 'Gone: the object has expired or failed.',
  413: 'The body is larger than --max-body.',
  422: 'Invalid input: each problem with its location.',
  429: 'Rate limited (--rate-limit-*; or too many unfinished jobs): retry after Retry-After seconds.',
  503: 'The database is not available.',
};

/** Statuses any operation may answer with an error: the caller's key, its rate, and what it sends. */
function errorStatuses(r: Documented): number[] {
  const url = openapiPath(r.url);
  const out = new Set<number>([401, 403, 429, ...(r.errors ?? [])]);
  if (url.includes('{')) out.add(404);
  if (r.params || r.query || r.body) out.add(422);
  if (r.errorShape === 'coded' && r.query) out.add(400);
  if (r.body) out.add(413);
  return [...out].sort();
}

/** Each status the operation documents, with its description and body. */
function responsesOf(r: Documented, schemaOf: (s: Schema<unknown>) => JsonSchema): Record<string, unknown> {
  const content = (body: ResponseBody) => {
    if (body === null) return {};
    if ('file' in body)
      return { content: Object.fromEntries(body.file.map((t) => [t, { schema: { type: 'string' } }])) };
    return { content: { 'application/json': { schema: schemaOf(body) } } };
  };
  const responses: Record<string, unknown> = {};
  for (const [status, body] of successes(r))
    responses[status] = { description: DESCRIPTIONS[status] ?? 'Success.', ...content(body) };
  for (const status of errorStatuses(r))
    responses[status] ??= { description: DESCRIPTIONS[status], ...content(errorSchema(status, r.errorShape)) };
  return responses;
}

/**
 * What a Cloud-path route (`routes` on the `cloud` family, or `fixed`) documents it answers, by
 * status, its schemas inline (named ones keep their `title`): for documents built elsewhere (the
 * REST gateway's passes these answers through).
 */
export function cloudResponses(route: RouteDef | FixedRouteDef): Record<string, unknown> {
  const r = 'url' in route ? fixedRoute(route) : onFamily(route, 'cloud');
  return responsesOf(r, (s) => cleanJson(s.json()));
}

export function buildOpenApi(routes: RouteDef[], fixed: FixedRouteDef[] = []): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const components: Components = {};
  const schemaOf = (s: Schema<unknown>): JsonSchema => hoistNamed(cleanJson(s.json()), components);
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
    const responses = responsesOf(r, schemaOf);
    const op: Record<string, unknown> = {
      tags: [r.tag],
      summary: r.summary,
      operationId: r.operationId,
      'x-sightline-scope': r.scope,
      parameters: params,
      responses,
    };
    if (r.body) op.requestBody = { required: true, content: { 'application/json': { schema: schemaOf(r.body) } } };
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
    components: { schemas: components },
  };
}
