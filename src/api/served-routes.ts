/**
 * Which routes an app serves, as registered: what the fuzz test compares with the OpenAPI
 * documents, so that a route nobody documented fails the run. Routes registered with
 * `config: { undocumented: true }` (trailing-slash redirects, the documents themselves, the REST
 * gateway's 405 catch-alls) are left out; Fastify's automatic HEAD routes too.
 */
import type { FastifyInstance } from 'fastify';

export interface ServedRoute {
  method: string;
  url: string;
}

const served = new WeakMap<FastifyInstance, ServedRoute[]>();

/** Starts recording `app`'s routes (call before registering any). */
export function trackRoutes(app: FastifyInstance): void {
  const list: ServedRoute[] = [];
  served.set(app, list);
  app.addHook('onRoute', (r) => {
    if ((r.config as { undocumented?: boolean } | undefined)?.undocumented) return;
    for (const method of [r.method].flat()) if (method !== 'HEAD') list.push({ method, url: r.url });
  });
}

export function servedRoutes(app: FastifyInstance): readonly ServedRoute[] {
  return served.get(app) ?? [];
}
