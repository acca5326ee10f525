/** The management API's list envelope: `{data, meta, links}`, links absolute and keeping every parameter. */
import { array, int, named, object, orNull, type Schema, str } from '../../lib/schema.ts';
import type { RawQuery } from './params.ts';

const pageMetaSchema = named(
  'PageMeta',
  object({
    current_page: int({ min: 1 }),
    per_page: int({ min: 1 }),
    total: int({ min: 0 }),
    last_page: int({ min: 1 }),
  }),
);
const pageLinksSchema = named(
  'PageLinks',
  object({ first: str(), last: str(), prev: orNull(str()), next: orNull(str()) }),
);

/** The schema of `pageEnvelope(items)`. */
export function pageSchema(item: Schema<unknown>): Schema<unknown> {
  return object({ data: array(item), meta: pageMetaSchema, links: pageLinksSchema });
}

/** `{data: item}`: one object of the management API. */
export function dataSchema(item: Schema<unknown>): Schema<unknown> {
  return object({ data: item });
}

export interface PageOf {
  page: number;
  perPage: number;
  total: number;
}

/** `base` is the absolute URL of the list without its query. */
export function pageEnvelope(data: unknown[], p: PageOf, base: string, query: RawQuery): Record<string, unknown> {
  const lastPage = Math.max(1, Math.ceil(p.total / p.perPage));
  const link = (page: number) => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (k !== 'page') params.append(k, String(v));
    params.set('page', String(page));
    return `${base}?${params.toString()}`;
  };
  return {
    data,
    meta: { current_page: p.page, per_page: p.perPage, total: p.total, last_page: lastPage },
    links: {
      first: link(1),
      last: link(lastPage),
      prev: p.page > 1 ? link(Math.min(p.page - 1, lastPage)) : null,
      next: p.page < lastPage ? link(p.page + 1) : null,
    },
  };
}
