/**
 * Keyboard shortcuts everywhere: `/` focuses the page's search, `g r` runs, `g e` events,
 * `j`/`k` move through the list in view (the waterfall and lists handle their own), `?` shows
 * the keys, `Esc` closes what is open. Keys typed into a field are the field's.
 */
import { signal } from '@preact/signals';
import { navigate } from './router.ts';

export const helpOpen = signal(false);

export const SHORTCUTS: [string, string][] = [
  ['/', 'search on this page'],
  ['g r', 'go to runs'],
  ['g e', 'go to events'],
  ['j / k, ↓ / ↑', 'next / previous row'],
  ['← / →', 'collapse / expand (trace)'],
  ['Enter', 'open the row'],
  ['Esc', 'close the panel or dialog'],
  ['?', 'this list'],
];

let pendingG = 0;

function typing(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null;
  return (
    !!el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable)
  );
}

/** Moves focus to the next or previous focusable row of the list in view. */
function moveRow(step: number): void {
  const rows = [...document.querySelectorAll<HTMLElement>('[data-row]')];
  if (!rows.length) return;
  const i = rows.indexOf(document.activeElement as HTMLElement);
  const next = rows[Math.max(0, Math.min(rows.length - 1, i < 0 ? 0 : i + step))];
  next.focus();
  next.scrollIntoView({ block: 'nearest' });
}

export function onKeyDown(e: KeyboardEvent): void {
  if (e.metaKey || e.ctrlKey || e.altKey) return;
  if (e.key === 'Escape') {
    helpOpen.value = false;
    return;
  }
  if (typing(e.target)) return;
  if (e.key === '?') helpOpen.value = !helpOpen.value;
  else if (e.key === '/') {
    const search = document.querySelector<HTMLInputElement>('main input[type="search"]');
    if (search) {
      e.preventDefault();
      search.focus();
    }
  } else if (e.key === 'g') pendingG = Date.now();
  else if (Date.now() - pendingG < 1500 && (e.key === 'r' || e.key === 'e')) {
    pendingG = 0;
    navigate(e.key === 'r' ? '/runs' : '/events');
  } else if ((e.key === 'j' || e.key === 'k') && !(e.target as HTMLElement)?.closest?.('[role="treegrid"]')) {
    e.preventDefault();
    moveRow(e.key === 'j' ? 1 : -1);
  }
}
