/** `GET /tags` and `DELETE /tags?tag=`: the workspace tag index (fed by events, see the store). */

import { datetime, formatMicros } from '../../domain/time.ts';
import { type Infer, int, literal, named, object, optional, str } from '../../lib/schema.ts';
import { type OpContext, storeOf } from '../context.ts';
import { paginatedSchema } from '../runs/bodies.ts';

export const TAG_LIMIT_DEFAULT = 200;
export const TAG_LIMIT_MAX = 200;

export const listTagsQuerySchema = object(
  {
    search: optional(str()),
    page: optional(int({ min: 1 }), () => 1),
    sort: optional(
      literal(['NAME_ASC', 'NAME_DESC', 'LAST_SEEN_ASC', 'LAST_SEEN_DESC'] as const),
      () => 'LAST_SEEN_DESC' as const,
    ),
    limit: optional(int({ min: 1, max: TAG_LIMIT_MAX }), () => TAG_LIMIT_DEFAULT),
  },
  { extra: 'ignore' },
);
export const deleteTagQuerySchema = object({ tag: str({ min: 1 }) }, { extra: 'ignore' });

/** `TagPaginationResponse`. */
export const tagPageSchema = named(
  'TagPage',
  paginatedSchema(object({ name: str(), first_seen: datetime(), last_seen: datetime() })),
);

export async function listTags(ctx: OpContext, q: Infer<typeof listTagsQuerySchema>) {
  const { results, count } = await storeOf(ctx.services).tags.list(ctx.workspace.id, {
    search: q.search,
    sort: q.sort,
    limit: q.limit,
    offset: (q.page - 1) * q.limit,
  });
  return {
    results: results.map((t) => ({
      name: t.name,
      first_seen: formatMicros(t.firstSeen),
      last_seen: formatMicros(t.lastSeen),
    })),
    count,
    limit: q.limit,
    pages: Math.ceil(count / q.limit),
    page: q.page,
  };
}

export function deleteTag(ctx: OpContext, name: string): Promise<void> {
  return storeOf(ctx.services).tags.delete(ctx.workspace.id, name);
}
