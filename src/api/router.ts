/**
 * The native API's route table. Each route is declared once, relative to the API root, and served
 * on both path families: `/api/<path>` (the default workspace) and
 * `/api/accounts/{account_id}/workspaces/{workspace_id}/<path>`. Prefect's trailing-slash
 * spelling is the registered one; the other spelling answers 307 to it, as FastAPI does; a method
 * the path does not serve answers 405 with `Allow`, as FastAPI does.
 *
 * A route declares what it reads — `params`, `query`, `body` — and the router parses all three
 * before the handler runs, so validation and `/api/openapi.json` come from the same schemas. The
 * handler gets the parsed values and a request without `params`, `query` or `body`: a route cannot
 * read input it has not declared.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, parseOrThrow } from '../domain/errors.ts';
import { normalizeUuid } from '../domain/ids.ts';
import type { Workspace } from '../domain/tenancy.ts';
import type { ObjectSchema, Schema } from '../lib/schema.ts';
import type { Caller } from '../ops/access/keyring.ts';
import { checkAccountReach, OSS_PATHS_NEED_ONE_WORKSPACE, reachesWorkspace } from '../ops/access/reach.ts';
import type { OpContext, PathFamily, Services } from '../ops/context.ts';
import { findWorkspace } from '../ops/tenancy/accounts.ts';
import { callerOf, writingItems } from './access.ts';
import { queryLists, queryValues } from './query.ts';

export type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/**
 * What a caller needs to be allowed to run a route (issue 15 enforces it): `read` (queries, POST
 * filters and count-by, outgoing websockets, downloads), `write` (ingest, run and state changes),
 * `admin` (workspace creation, `DELETE /tags`).
 */
export type Scope = 'read' | 'write' | 'admin';

/** A schema, or one per path family (the two families differ in limits or error shapes). */
export type PerFamily<S> = S | ((family: PathFamily) => S);

/** The request as a handler sees it: headers and the like, never unparsed input. */
export type RequestInfo = Omit<FastifyRequest, 'params' | 'query' | 'body'>;

/** A success body that is not JSON: its content types (downloads). */
export interface FileBody {
  file: readonly string[];
}

/** One success answer: a JSON body's schema, a file, or `null` for no body. */
export type ResponseBody = Schema<unknown> | FileBody | null;

/**
 * What a route answers on success: the schema of its body at `status` (200 unless given), or the
 * body of each success status when it has several. Declared, documented, never checked at run
 * time (test/response-schemas.test.ts checks real answers against them).
 */
export type Responses = ResponseBody | { readonly [status: number]: ResponseBody };

export interface Input<Q, B> {
  /** Path parameters: UUIDs normalised, or parsed by the route's `params` schemas. */
  params: Record<string, string>;
  query: Q;
  body: B;
}

interface RequestSpec<Q, B> {
  method: Method;
  summary: string;
  tag: string;
  scope: Scope;
  /**
   * Path parameters that are not UUIDs (a bad value → 422). Every other path parameter is a UUID,
   * and anything else there is an unknown route (404), as with Starlette's `uuid` convertor.
   */
  params?: Record<string, Schema<string>>;
  query?: PerFamily<ObjectSchema<Q>>;
  /** How repeated query parameters are read (default: the last value wins, as in Starlette). */
  queryLists?: { lists?: readonly string[]; commaLists?: readonly string[] };
  body?: PerFamily<Schema<B>>;
  /** A missing body counts as `{}` (filters, updates). */
  bodyOptional?: boolean;
  /** Success status when it is not 200. */
  status?: number;
  /** What a success answers (documentation only: see `Responses`). */
  response: PerFamily<Responses>;
  /** Error statuses the route answers beyond those every route can (documentation). */
  errors?: readonly number[];
  /** How many items (log lines, events) the parsed body writes: they count against `--rate-limit-items`. */
  items?: (body: B) => number;
}

export interface RouteDef<Q = any, B = any> extends RequestSpec<Q, B> {
  /** Relative to the API root, Prefect's spelling, Fastify params (`/flow_runs/:id/logs`). */
  path: string;
  /** Default: both. */
  families?: readonly PathFamily[];
  handler(ctx: OpContext, input: Input<Q, B>, req: RequestInfo, reply: FastifyReply): Promise<unknown> | unknown;
}

/**
 * A route outside the two path families (it addresses an account, or the caller): served and
 * documented at exactly `url`, a full Fastify path. Its errors have the Cloud shapes.
 */
export interface FixedRouteDef<Q = any, B = any> extends RequestSpec<Q, B> {
  url: string;
  handler(services: Services, input: Input<Q, B>, req: RequestInfo, reply: FastifyReply): Promise<unknown>;
}

/** Declares a route with its handler's input typed from its schemas. */
export function route<Q = undefined, B = undefined>(def: RouteDef<Q, B>): RouteDef<Q, B> {
  return def;
}

export function fixedRoute<Q = undefined, B = undefined>(def: FixedRouteDef<Q, B>): FixedRouteDef<Q, B> {
  return def;
}

export const CLOUD_PREFIX = '/api/accounts/:account_id/workspaces/:workspace_id';

/** Path parameters the router resolves itself (the workspace of a Cloud path). */
const FAMILY_PARAMS: ReadonlySet<string> = new Set(['account_id', 'workspace_id']);
const NONE: ReadonlySet<string> = new Set();

export function forFamily<S>(s: PerFamily<S> | undefined, family: PathFamily): S | undefined {
  return typeof s === 'function' ? (s as (f: PathFamily) => S)(family) : s;
}

/** Parses what a route declares, in Starlette's order: path, query, body. */
export function parseInput<Q, B>(
  spec: RequestSpec<Q, B>,
  family: PathFamily,
  req: FastifyRequest,
  resolved: ReadonlySet<string> = NONE,
): Input<Q, B> {
  const raw = (req.params ?? {}) as Record<string, string>;
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    const declared = spec.params?.[name];
    if (declared) params[name] = parseOrThrow(declared, value, ['path', name], null);
    else if (resolved.has(name)) params[name] = value;
    else {
      const id = normalizeUuid(value);
      if (!id) throw new AppError('route_not_found', 'Not Found');
      params[name] = id;
    }
  }
  const querySchema = forFamily(spec.query, family);
  const query = querySchema
    ? parseOrThrow(querySchema, spec.queryLists ? queryLists(req, spec.queryLists) : queryValues(req), ['query'], null)
    : (undefined as Q);
  const bodySchema = forFamily(spec.body, family);
  const body = bodySchema
    ? parseOrThrow(bodySchema, spec.bodyOptional ? (req.body ?? {}) : req.body, ['body'])
    : (undefined as B);
  return { params, query, body };
}

/** A path that serves some methods: every other one answers 405 naming those it serves. */
class MethodTable {
  private readonly byUrl = new Map<string, { methods: Set<Method>; textParams: Set<string> }>();

  add(url: string, method: Method, textParams: readonly string[] = []): void {
    let entry = this.byUrl.get(url);
    if (!entry) this.byUrl.set(url, (entry = { methods: new Set(), textParams: new Set() }));
    entry.methods.add(method);
    for (const p of textParams) entry.textParams.add(p);
  }

  register(app: FastifyInstance): void {
    for (const [url, e] of this.byUrl) registerMethodNotAllowed(app, url, [...e.methods], e.textParams);
  }
}

const ALL_METHODS: readonly Method[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * Registers the 405 answer for the methods `url` does not serve. A path parameter outside
 * `textParams` that is not a UUID does not match the path at all (404), as in Starlette.
 */
export function registerMethodNotAllowed(
  app: FastifyInstance,
  url: string,
  served: readonly Method[],
  textParams: ReadonlySet<string> = NONE,
): void {
  const others = ALL_METHODS.filter((m) => !served.includes(m));
  if (!others.length) return;
  const allow = [...served].sort().join(', ');
  app.route({
    method: others,
    url,
    config: { undocumented: true },
    handler: async (req, reply) => {
      for (const [name, value] of Object.entries((req.params ?? {}) as Record<string, string>))
        if (!textParams.has(name) && !normalizeUuid(value)) throw new AppError('route_not_found', 'Not Found');
      reply.header('allow', allow);
      throw new AppError('method_not_allowed', 'Method Not Allowed');
    },
  });
}

export function registerFixedRoutes(app: FastifyInstance, services: Services, routes: FixedRouteDef[]): void {
  const table = new MethodTable();
  for (const r of routes) {
    table.add(r.url, r.method, Object.keys(r.params ?? {}));
    app.route({
      method: r.method,
      url: r.url,
      config: { scope: r.scope },
      handler: (req, reply) => {
        const input = parseInput(r, 'cloud', req);
        const caller = callerOf(req);
        // Under --auth an account-scope route needs an account-wide key of that account; any
        // other account answers as one that does not exist.
        if (caller && input.params.account_id) checkAccountReach(caller, input.params.account_id);
        return writingItems(services, req.raw, r.items?.(input.body) ?? 0, () =>
          r.handler(services, input, req, reply),
        );
      },
    });
  }
  table.register(app);
}

const workspaceNotFound = () => new AppError('not_found', 'Workspace not found');

export class WorkspaceResolver {
  private readonly services: Services;
  private readonly cache = new Map<string, Workspace>();

  constructor(services: Services) {
    this.services = services;
  }

  resolve(req: FastifyRequest, family: PathFamily): Promise<Workspace> {
    const p = req.params as { account_id: string; workspace_id: string };
    return this.resolveIds(family, p.account_id, p.workspace_id, callerOf(req));
  }

  /**
   * The workspace a request addresses: on open-source paths the default one, or under `--auth`
   * the caller's one workspace (see `ossWorkspace` in `reach.ts`). A workspace the caller may not
   * reach answers as one that does not exist.
   */
  async resolveIds(
    family: PathFamily,
    rawAccountId?: string,
    rawWorkspaceId?: string,
    caller?: Caller,
  ): Promise<Workspace> {
    const { defaults } = this.services;
    if (family === 'oss') {
      if (!caller) return defaults.workspace;
      const { key } = caller;
      if (key.workspaceIds === null && key.accountId === defaults.account.id) return defaults.workspace;
      if (key.workspaceIds?.length === 1) return this.lookup(key.accountId, key.workspaceIds[0]);
      throw new AppError('forbidden', OSS_PATHS_NEED_ONE_WORKSPACE);
    }
    const accountId = normalizeUuid(rawAccountId ?? '');
    const workspaceId = normalizeUuid(rawWorkspaceId ?? '');
    if (!accountId || !workspaceId) throw new AppError('route_not_found', 'Not Found');
    const ws = await this.lookup(accountId, workspaceId);
    if (caller && !reachesWorkspace(caller, ws)) throw workspaceNotFound();
    return ws;
  }

  private async lookup(accountId: string, workspaceId: string): Promise<Workspace> {
    const key = `${accountId}/${workspaceId}`;
    let ws = this.cache.get(key);
    if (!ws) {
      ws = await findWorkspace(this.services, accountId, workspaceId);
      if (!ws) throw workspaceNotFound();
      this.cache.set(key, ws);
    }
    return ws;
  }
}

function otherSpelling(path: string): string {
  return path.endsWith('/') ? path.slice(0, -1) : `${path}/`;
}

export function registerRoutes(app: FastifyInstance, services: Services, routes: RouteDef[]): void {
  const resolver = new WorkspaceResolver(services);
  const registered = new Set<string>();
  const table = new MethodTable();
  const redirects: { method: Method; url: string; textParams: string[] }[] = [];
  for (const route of routes) {
    for (const family of route.families ?? (['oss', 'cloud'] as const)) {
      const url = (family === 'oss' ? '/api' : CLOUD_PREFIX) + route.path;
      registered.add(`${route.method} ${url}`);
      table.add(url, route.method, Object.keys(route.params ?? {}));
      redirects.push({ method: route.method, url: otherSpelling(url), textParams: Object.keys(route.params ?? {}) });
      app.route({
        method: route.method,
        url,
        config: { scope: route.scope },
        handler: async (req, reply) => {
          const workspace = await resolver.resolve(req, family);
          const input = parseInput(route, family, req, FAMILY_PARAMS);
          const result = await writingItems(services, req.raw, route.items?.(input.body) ?? 0, async () =>
            route.handler({ services, workspace, family }, input, req, reply),
          );
          if (reply.sent) return reply;
          if (route.status && reply.statusCode === 200) reply.code(route.status);
          if (result === undefined) return reply.send();
          // Fastify would send a bare string as text; Prefect's API answers JSON strings.
          if (typeof result === 'string') return reply.type('application/json').send(JSON.stringify(result));
          return result;
        },
      });
    }
  }
  for (const r of redirects) {
    const key = `${r.method} ${r.url}`;
    if (registered.has(key)) continue;
    registered.add(key);
    table.add(r.url, r.method, r.textParams);
    app.route({
      method: r.method,
      url: r.url,
      config: { undocumented: true },
      handler: async (req, reply) => {
        const [path, query] = splitUrl(req.url);
        return reply.redirect(otherSpelling(path) + query, 307);
      },
    });
  }
  table.register(app);
}

function splitUrl(url: string): [string, string] {
  const q = url.indexOf('?');
  return q < 0 ? [url, ''] : [url.slice(0, q), url.slice(q)];
}
