/** Query strings as the schemas expect them: one string per parameter. */
import type { FastifyRequest } from 'fastify';

/** A repeated parameter keeps its last value, as Starlette's `QueryParams` does. */
export function queryValues(req: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((req.query ?? {}) as Record<string, string | string[] | undefined>)) {
    if (Array.isArray(v)) {
      if (v.length) out[k] = v[v.length - 1];
    } else if (v !== undefined) out[k] = v;
  }
  return out;
}

/** A request header as one string; a repeated header is one list, joined with ", " as HTTP defines. */
export function headerValue(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}
