/**
 * The native API's route table. Each route is declared once, relative to the API root, and served
 * on both path families: `/api/<path>` (the default workspace) and
 * `/api/accounts/{account_id}/workspaces/{workspace_id}/<path>`. Prefect's trailing-slash
 * spelling is the registered one; the other spelling answers 307 to it, as FastAPI does.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../domain/errors.ts';
import { normalizeUuid } from '../domain/ids.ts';
import type { ObjectSchema, Schema } from '../domain/schema.ts';
import type { Workspace } from '../domain/tenancy.ts';
import type { OpContext, PathFamily, Services } from '../ops/context.ts';

export type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface RouteDef {
  method: Method;
  /** Relative to the API root, Prefect's spelling, Fastify params (`/flow_runs/:id/logs`). */
  path: string;
  summary: string;
  tag: string;
  /** Default: both. */
  families?: readonly PathFamily[];
  /** Documentation only (validation happens in the handler, with the family's error shape). */
  body?: Schema<unknown>;
  query?: ObjectSchema<unknown>;
  /** Path parameters that are not UUIDs (documentation; the handler validates). */
  params?: Record<string, Schema<unknown>>;
  /** Success status when it is not 200. */
  status?: number;
  handler(ctx: OpContext, req: FastifyRequest, reply: FastifyReply): Promise<unknown> | unknown;
}

/**
 * A route outside the two path families (it addresses an account, or the caller): served and
 * documented at exactly `url`, a full Fastify path.
 */
export interface FixedRouteDef {
  method: Method;
  url: string;
  summary: string;
  tag: string;
  body?: Schema<unknown>;
  query?: ObjectSchema<unknown>;
  params?: Record<string, Schema<unknown>>;
  status?: number;
  handler(req: FastifyRequest, reply: FastifyReply): Promise<unknown>;
}

export function registerFixedRoutes(app: FastifyInstance, routes: FixedRouteDef[]): void {
  for (const r of routes) app.route({ method: r.method, url: r.url, handler: (req, reply) => r.handler(req, reply) });
}

export const CLOUD_PREFIX = '/api/accounts/:account_id/workspaces/:workspace_id';

/** A path parameter that must be a UUID: anything else is an unknown route, as in Starlette. */
export function uuidParam(req: FastifyRequest, name: string): string {
  const raw = (req.params as Record<string, string>)[name];
  const id = raw === undefined ? undefined : normalizeUuid(raw);
  if (!id) throw new AppError('route_not_found', 'Not Found');
  return id;
}

export class WorkspaceResolver {
  private readonly services: Services;
  private readonly cache = new Map<string, Workspace>();

  constructor(services: Services) {
    this.services = services;
  }

  resolve(req: FastifyRequest, family: PathFamily): Promise<Workspace> {
    const p = req.params as { account_id: string; workspace_id: string };
    return this.resolveIds(family, p.account_id, p.workspace_id);
  }

  /** The workspace a request addresses: the default one on open-source paths. */
  async resolveIds(family: PathFamily, rawAccountId?: string, rawWorkspaceId?: string): Promise<Workspace> {
    if (family === 'oss') return this.services.defaults.workspace;
    const accountId = normalizeUuid(rawAccountId ?? '');
    const workspaceId = normalizeUuid(rawWorkspaceId ?? '');
    if (!accountId || !workspaceId) throw new AppError('route_not_found', 'Not Found');
    const key = `${accountId}/${workspaceId}`;
    let ws = this.cache.get(key);
    if (!ws) {
      ws = await this.services.store.tenancy.getWorkspace(accountId, workspaceId);
      if (!ws) throw new AppError('not_found', 'Workspace not found');
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
  const redirects: { method: Method; url: string }[] = [];
  for (const route of routes) {
    for (const family of route.families ?? (['oss', 'cloud'] as const)) {
      const url = (family === 'oss' ? '/api' : CLOUD_PREFIX) + route.path;
      registered.add(`${route.method} ${url}`);
      redirects.push({ method: route.method, url: otherSpelling(url) });
      app.route({
        method: route.method,
        url,
        handler: async (req, reply) => {
          const workspace = await resolver.resolve(req, family);
          const result = await route.handler({ services, workspace, family }, req, reply);
          if (reply.sent) return reply;
          if (route.status && reply.statusCode === 200) reply.code(route.status);
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
}

function splitUrl(url: string): [string, string] {
  const q = url.indexOf('?');
  return q < 0 ? [url, ''] : [url.slice(0, q), url.slice(q)];
}
