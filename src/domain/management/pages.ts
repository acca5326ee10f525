/** The management API's list envelope: `{data, meta, links}`, links absolute and keeping every parameter. */
import type { RawQuery } from './params.ts';

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
