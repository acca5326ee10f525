/**
 * The REST gateway: every `exposes: rest` resource as a route. Each input is read from where the
 * gateway's OpenAPI says it is, nowhere else: a path variable of the exposed path (`-` ≡ `_`), else
 * where its consumed parameter lives — the query (repeated keys = a list), a header, or the request
 * body (passed through raw, so the upstream judges it). The upstream status, body and the headers
 * that matter (`Content-Type`, `ETag`, `Content-Disposition`, `Retry-After`) come back as they
 * were, streamed. Errors of the gateway itself are JSON `{code, message}`.
 */
import Fastify, { type FastifyInstance, type FastifyReply, LogController } from 'fastify';
import { type Door, letIn } from '../api/access.ts';
import { toAppError } from '../api/errors.ts';
import { clientErrorHandler, createListener, type ListenerConfig, overBodyLimit } from '../api/http-listener.ts';
import { redacted } from '../api/log-redaction.ts';
import { trackRoutes } from '../api/served-routes.ts';
import { AppError, type ErrorCode, RateLimitError } from '../domain/errors.ts';
import type { Issue } from '../lib/schema.ts';
import { asCaller } from './caller-context.ts';
import { type InResponse, readAll } from './consumers.ts';
import { type Binding, invoke } from './invoke.ts';
import type { RestOperation, RestResource } from './model.ts';
import { buildRestOpenApi } from './rest-openapi.ts';

export interface RestEntry {
  resource: RestResource;
  operation: RestOperation;
  binding: Binding;
}

const PASSED_HEADERS = ['content-type', 'etag', 'content-disposition', 'retry-after', 'cache-control', 'location'];
const ALL_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

const STATUS: Partial<Record<ErrorCode, number>> = {
  invalid_input: 400,
  route_not_found: 404,
  method_not_allowed: 405,
  not_found: 404,
  payload_too_large: 413,
  unauthorized: 401,
  forbidden: 403,
  rate_limited: 429,
  unsupported_media_type: 415,
  misdirected_request: 421,
  bad_gateway: 502,
  gateway_timeout: 504,
  unavailable: 503,
};

export function sendGatewayError(reply: FastifyReply, err: unknown): FastifyReply {
  const e = toAppError(err);
  const status = STATUS[e.code] ?? 500;
  if (status >= 500 && e.code === 'internal') reply.log.error({ err }, 'gateway error');
  const body: { code: ErrorCode; message: string; issues?: Issue[] } = {
    code: e.code,
    message: status === 500 ? 'Internal error' : e.message,
  };
  if (e.issues.length) body.issues = e.issues.map(({ loc, msg, type }) => ({ loc, msg, type }));
  if (e.code === 'unauthorized') reply.header('www-authenticate', 'Bearer');
  if (e instanceof RateLimitError) reply.header('retry-after', String(e.retryAfter));
  return reply.code(status).type('application/json').send(body);
}

const ACCESS_CODES: Partial<Record<number, ErrorCode>> = { 401: 'unauthorized', 403: 'forbidden', 429: 'rate_limited' };

/**
 * The local API's refusals of the caller's key (401, 403, 429) are the gateway's own: sent in its
 * shape (`{code, message}`), with the API's message (and a 429's Retry-After). Undefined for any
 * other answer.
 */
async function accessRefusal(response: InResponse): Promise<AppError | undefined> {
  const code = ACCESS_CODES[response.status];
  if (!code) return undefined;
  const text = (await readAll(response.body, 64 * 1024)).toString('utf8');
  let message = text;
  try {
    const detail = (JSON.parse(text) as { detail?: unknown }).detail;
    if (typeof detail === 'string') message = detail;
  } catch {
    // not JSON: the text itself
  }
  if (code === 'rate_limited') return new RateLimitError(message, Number(response.headers['retry-after']) || 1);
  return new AppError(code, message);
}

const norm = (name: string) => name.replaceAll('-', '_');

type Place = 'query' | 'header' | 'body';

/** Where each exposed input (not a path variable) is read: where its consumed parameter lives. */
function inputPlaces(op: RestOperation): Map<string, Place> {
  const places = new Map<string, Place>();
  for (const [consumed, binding] of op.with) {
    if (binding.kind !== 'input') continue;
    const p = op.call.params.find((x) => x.name === consumed);
    if (p && p.in !== 'path')
      places.set(binding.name, p.in === 'body' ? 'body' : p.in === 'header' ? 'header' : 'query');
  }
  return places;
}

/** `/v1/x/{account-id}` → `/v1/x/:p0` (Fastify would read `-` inside a parameter name as a separator). */
function toRoute(path: string): { url: string; names: string[] } {
  const names: string[] = [];
  const url = path.replace(/\{\{?([^{}]+)\}?\}/g, (_m, name: string) => {
    names.push(name);
    return `:p${names.length - 1}`;
  });
  return { url, names };
}

const gatewayError = (message: string, code: ErrorCode = 'invalid_input') => ({ code, message });

export async function buildRestApp(
  entries: RestEntry[],
  opts: {
    bodyLimit: number;
    http: ListenerConfig;
    logger?: boolean | object;
    title: string;
    version: string;
    /** Keys (401 before the body is read, under `--auth`) and rate limits (429); none in the fuzz harness. */
    door?: Door;
  },
): Promise<FastifyInstance> {
  const app = Fastify({
    logger: redacted(opts.logger),
    bodyLimit: opts.bodyLimit,
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { maxParamLength: 500 },
    exposeHeadRoutes: false,
    forceCloseConnections: true,
    return503OnClosing: true,
    frameworkErrors: (err, _req, reply) => sendGatewayError(reply, err),
    serverFactory: (handler) => createListener(opts.http, gatewayError, handler),
    clientErrorHandler: clientErrorHandler(opts.http, gatewayError),
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  const { door } = opts;
  if (door)
    app.addHook('onRequest', async (req) => {
      await letIn(door, req.raw);
    });
  trackRoutes(app);
  app.setErrorHandler((err, _req, reply) => sendGatewayError(reply, overBodyLimit(err, reply, opts.bodyLimit) ?? err));
  app.setNotFoundHandler((req, reply) =>
    sendGatewayError(reply, new AppError('route_not_found', `No resource at ${req.method} ${req.url.split('?')[0]}`)),
  );

  // One route per exposed path and method; the first declaration wins.
  const byPath = new Map<string, Map<string, RestEntry>>();
  for (const e of entries) {
    const key = toRoute(e.resource.path).url;
    let methods = byPath.get(key);
    if (!methods) byPath.set(key, (methods = new Map()));
    if (!methods.has(e.operation.method)) methods.set(e.operation.method, e);
  }
  for (const [url, methods] of byPath) {
    const allow = [...methods.keys()].join(', ');
    for (const [method, entry] of methods) {
      const { names } = toRoute(entry.resource.path);
      const places = inputPlaces(entry.operation);
      app.route({
        method: method as 'GET',
        url,
        handler: async (req, reply) => {
          const params = req.params as Record<string, string>;
          const pathVars = new Map(names.map((n, i) => [norm(n), params[`p${i}`]]));
          const query = new URLSearchParams(req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '');
          const raw = req.body as Buffer | undefined;
          const lookup = (name: string): unknown => {
            const n = norm(name);
            if (pathVars.has(n)) return pathVars.get(n);
            switch (places.get(name)) {
              case 'query': {
                const values = query.getAll(name);
                return values.length === 0 ? undefined : values.length === 1 ? values[0] : values;
              }
              case 'header': {
                const h = req.headers[name.toLowerCase()];
                return Array.isArray(h) ? h.join(', ') : h;
              }
              case 'body':
                return raw?.length ? { raw, contentType: req.headers['content-type'] } : undefined;
              default:
                return undefined;
            }
          };
          // Calls reach the native API as this caller (its key's scope and workspaces).
          const address = door?.guard.view(req.raw).address ?? '';
          const { response } = await asCaller(req.headers.authorization, address, () =>
            invoke(entry.operation, entry.binding, lookup),
          );
          const refusal = entry.binding.target.local ? await accessRefusal(response) : undefined;
          if (refusal) return sendGatewayError(reply, refusal);
          reply.code(response.status);
          for (const h of PASSED_HEADERS) if (response.headers[h] !== undefined) reply.header(h, response.headers[h]);
          if (response.status === 304 || response.status === 204) {
            response.body.resume();
            return reply.send();
          }
          return reply.send(response.body);
        },
      });
    }
    const others = ALL_METHODS.filter((m) => !methods.has(m));
    app.route({
      method: others as unknown as 'GET',
      url,
      config: { undocumented: true },
      handler: async (req, reply) => {
        reply.header('allow', allow);
        return sendGatewayError(
          reply,
          new AppError('method_not_allowed', `${req.method} is not allowed here; allowed: ${allow}`),
        );
      },
    });
  }

  const openapi = buildRestOpenApi(entries, { title: opts.title, version: opts.version });
  app.get('/v1/openapi.json', { config: { undocumented: true } }, async () => openapi);
  return app;
}
