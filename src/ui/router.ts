/** The URL is the app's state: pages and filters live in it, so every view can be linked. */
import { signal } from '@preact/signals';

export const location$ = signal({ path: location.pathname, search: location.search, hash: location.hash });

function sync(): void {
  location$.value = { path: location.pathname, search: location.search, hash: location.hash };
}

window.addEventListener('popstate', sync);

/** Goes to `url` (path and query), keeping the selected workspace in it. */
export function navigate(url: string, replace = false): void {
  const u = new URL(url, location.origin);
  const ws = new URLSearchParams(location.search).get('workspace');
  if (ws && !u.searchParams.has('workspace')) u.searchParams.set('workspace', ws);
  const next = u.pathname + u.search + u.hash;
  if (replace) history.replaceState(null, '', next);
  else history.pushState(null, '', next);
  sync();
}

/** The query parameters of the current URL. */
export function params(): URLSearchParams {
  return new URLSearchParams(location$.value.search);
}

/** `p` with `changes` applied: a value sets its parameter, '' and undefined remove it. */
export function withChanges(p: URLSearchParams, changes: Record<string, string | undefined>): URLSearchParams {
  const next = new URLSearchParams(p);
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined || v === '') next.delete(k);
    else next.set(k, v);
  }
  return next;
}

/** Sets (or removes, for '' and undefined) query parameters of the current page. */
export function setParams(changes: Record<string, string | undefined>, replace = true): void {
  const q = withChanges(params(), changes).toString();
  navigate(location$.value.path + (q ? `?${q}` : ''), replace);
}

/** Clicks on same-origin links navigate inside the app. */
export function onLinkClick(e: MouseEvent): void {
  const a = (e.target as Element).closest('a');
  if (!a || a.target || a.hasAttribute('download') || e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
  const href = a.getAttribute('href');
  if (!href?.startsWith('/') || href.startsWith('/api/')) return;
  e.preventDefault();
  navigate(href);
}
