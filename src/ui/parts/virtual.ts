/**
 * A virtualized list (only the rows in view exist) and the page cache behind it: rows are read a
 * page at a time, by offset, as they come into view — so a scrollbar can span a million rows.
 */
import {
  elementScroll,
  observeElementOffset,
  observeElementRect,
  Virtualizer,
  type VirtualizerOptions,
} from '@tanstack/virtual-core';
import { useEffect, useLayoutEffect, useMemo, useReducer, useRef } from 'preact/hooks';

type Options = Pick<VirtualizerOptions<HTMLDivElement, Element>, 'count' | 'estimateSize' | 'overscan' | 'getItemKey'>;

export function useVirtualizer(scroll: { current: HTMLDivElement | null }, opts: Options) {
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const v = useMemo(
    () =>
      new Virtualizer<HTMLDivElement, Element>({
        getScrollElement: () => scroll.current,
        observeElementRect,
        observeElementOffset,
        scrollToFn: elementScroll,
        onChange: () => rerender(0),
        ...opts,
      }),
    [],
  );
  v.setOptions({ ...v.options, ...opts, onChange: () => rerender(0) });
  useLayoutEffect(() => v._didMount(), []);
  useLayoutEffect(() => v._willUpdate());
  return v;
}

export const PAGE = 200;

/**
 * Rows `[i]` of a list read in pages of 200 by `fetchPage(offset, limit)`. `key` changes (new
 * filters) drop the cache. At most 64 pages are kept (a million-row list stays small).
 */
export function usePages<T>(key: string, fetchPage: (offset: number, limit: number) => Promise<T[]>) {
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const cache = useRef(new Map<number, T[] | 'loading'>());
  const error = useRef<unknown>(undefined);
  const keyRef = useRef(key);
  if (keyRef.current !== key) {
    keyRef.current = key;
    cache.current = new Map();
    error.current = undefined;
  }
  useEffect(() => () => cache.current.clear(), []);
  const want = (page: number) => {
    const c = cache.current;
    if (c.has(page)) return;
    c.set(page, 'loading');
    const mine = c;
    fetchPage(page * PAGE, PAGE).then(
      (rows) => {
        if (cache.current !== mine) return;
        mine.set(page, rows);
        for (const k of mine.keys()) {
          if (mine.size <= 64) break;
          if (k !== page) mine.delete(k);
        }
        rerender(0);
      },
      (err) => {
        if (cache.current !== mine) return;
        mine.delete(page);
        error.current = err;
        rerender(0);
      },
    );
  };
  return {
    row(i: number): T | undefined {
      const p = cache.current.get(Math.floor(i / PAGE));
      return p && p !== 'loading' ? p[i % PAGE] : undefined;
    },
    /** Asks for the pages covering rows `from..to`. */
    ensure(from: number, to: number) {
      for (let p = Math.floor(from / PAGE); p <= Math.floor(to / PAGE); p++) want(p);
    },
    /** Drops every page (live updates) and reads the visible ones again. */
    reset() {
      cache.current = new Map();
      rerender(0);
    },
    get error() {
      return error.current;
    },
  };
}
