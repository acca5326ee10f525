/**
 * A read-scope `GET` route declared by what differs: most reads are a path, a summary, perhaps a
 * query schema, and a call into ops whose answer is rendered.
 */
import type { ObjectSchema } from '../../lib/schema.ts';
import type { OpContext } from '../../ops/context.ts';
import { type Input, type PerFamily, type Responses, type RouteDef, route } from '../router.ts';

export function readRoute<Q = undefined>(
  tag: string,
  path: string,
  summary: string,
  response: Responses,
  run: (ctx: OpContext, input: Input<Q, undefined>) => Promise<unknown>,
  query?: PerFamily<ObjectSchema<Q>>,
): RouteDef<Q> {
  return route<Q>({ method: 'GET', path, tag, scope: 'read', summary, response, query, handler: run });
}
