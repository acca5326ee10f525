/**
 * Query strings as the schemas expect them. FastAPI reads a `list[str]` query parameter from
 * repeated keys (`?tags=a&tags=b`); every other parameter keeps its last value, as Starlette does.
 */
import type { FastifyRequest } from 'fastify';

/**
 * `lists` are always arrays; `commaLists` are lists whose values can never contain a comma (enum
 * values), so `?entities=flow-run,task-run` is read as two values as well.
 */
export function queryInput(
  req: FastifyRequest,
  opts: { lists?: readonly string[]; commaLists?: readonly string[] } = {},
): Record<string, string | string[]> {
  const lists = new Set([...(opts.lists ?? []), ...(opts.commaLists ?? [])]);
  const comma = new Set(opts.commaLists ?? []);
  const out: Record<string, string | string[]> = {};
  for (const [k, raw] of Object.entries((req.query ?? {}) as Record<string, string | string[] | undefined>)) {
    if (raw === undefined) continue;
    const values = Array.isArray(raw) ? raw : [raw];
    if (lists.has(k)) {
      out[k] = comma.has(k) ? values.flatMap((v) => v.split(',').map((x) => x.trim())).filter((x) => x !== '') : values;
    } else if (values.length) out[k] = values[values.length - 1];
  }
  return out;
}
