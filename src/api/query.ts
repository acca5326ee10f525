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

/**
 * Like `queryValues`, with list parameters as FastAPI reads `list[str]` ones: every repeated key
 * (`?tags=a&tags=b`). `commaLists` are lists whose values never contain a comma (enum values), so
 * `?entities=flow-run,task-run` is read as two values as well.
 */
export function queryLists(
  req: FastifyRequest,
  opts: { lists?: readonly string[]; commaLists?: readonly string[] },
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = queryValues(req);
  const comma = new Set(opts.commaLists ?? []);
  for (const k of [...(opts.lists ?? []), ...comma]) {
    const raw = (req.query as Record<string, string | string[] | undefined> | undefined)?.[k];
    if (raw === undefined) continue;
    const values = Array.isArray(raw) ? raw : [raw];
    out[k] = comma.has(k) ? values.flatMap((v) => v.split(',').map((x) => x.trim())).filter((x) => x !== '') : values;
  }
  return out;
}

/** A request header as one string; a repeated header is one list, joined with ", " as HTTP defines. */
export function headerValue(req: Pick<FastifyRequest, 'headers'>, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}
