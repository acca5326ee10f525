/** What the UI remembers per browser: theme, log line wrapping, events per page (time zone: format.ts). */
import { effect, signal } from '@preact/signals';

function stored<T extends string>(key: string, allowed: readonly T[], fallback: T) {
  const s = signal<T>(
    (allowed as readonly string[]).includes(localStorage.getItem(key) ?? '')
      ? (localStorage.getItem(key) as T)
      : fallback,
  );
  effect(() => localStorage.setItem(key, s.value));
  return s;
}

/** `auto` follows the system (`prefers-color-scheme`). */
export const theme = stored('sightline.theme', ['auto', 'light', 'dark'] as const, 'auto');
export const wrapLines = stored('sightline.wrap', ['on', 'off'] as const, 'on');
export const eventsPerPage = stored('sightline.events-per-page', ['25', '50', '100', '200'] as const, '50');

effect(() => {
  if (theme.value === 'auto') document.documentElement.removeAttribute('data-theme');
  else document.documentElement.setAttribute('data-theme', theme.value);
});

export function nextTheme(): void {
  theme.value = theme.value === 'auto' ? 'light' : theme.value === 'light' ? 'dark' : 'auto';
}
