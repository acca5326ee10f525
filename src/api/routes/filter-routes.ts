/**
 * `POST <resource>/filter` and `POST <resource>/count`, as every run resource serves them: read
 * scope, a missing body counts as `{}`.
 */
import { array, int, type ObjectSchema, type Schema } from '../../lib/schema.ts';
import type { OpContext } from '../../ops/context.ts';
import type { PerFamily, RouteDef } from '../router.ts';

interface Query<B> {
  summary: string;
  body: PerFamily<ObjectSchema<B>>;
  run(ctx: OpContext, body: B): Promise<unknown>;
}

const countSchema = int({ min: 0 });

/** Every count route has the same summary: "Number of <tag, lower case> matching the filters." */
export function filterAndCountRoutes<F, C>(
  base: string,
  tag: string,
  filter: Query<F> & { item: Schema<unknown> },
  count: Omit<Query<C>, 'summary'>,
): RouteDef[] {
  const route = <B>(path: string, q: Query<B>, response: Schema<unknown>): RouteDef<undefined, B> => ({
    method: 'POST',
    path,
    tag,
    scope: 'read',
    summary: q.summary,
    response,
    body: q.body,
    bodyOptional: true,
    handler: (ctx, { body }) => q.run(ctx, body),
  });
  const countSummary = `Number of ${tag.toLowerCase()} matching the filters.`;
  return [
    route(`${base}/filter`, filter, array(filter.item)),
    route(`${base}/count`, { ...count, summary: countSummary }, countSchema),
  ];
}
