/** Times, durations and states as the UI shows them; the time zone is the user's explicit choice. */
import { signal } from '@preact/signals';

const ZONE_STORE = 'sightline.time-zone';
export const timeZone = signal<'local' | 'UTC'>(localStorage.getItem(ZONE_STORE) === 'UTC' ? 'UTC' : 'local');

export function toggleTimeZone(): void {
  timeZone.value = timeZone.value === 'UTC' ? 'local' : 'UTC';
  localStorage.setItem(ZONE_STORE, timeZone.value);
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** `2026-12-07 10:32:41.112` in the chosen zone (the zone is shown once, in the toggle). */
export function formatTime(iso: string | null | undefined, withMillis = false): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const utc = timeZone.value === 'UTC';
  const [y, mo, da, h, mi, s, ms] = utc
    ? [
        d.getUTCFullYear(),
        d.getUTCMonth() + 1,
        d.getUTCDate(),
        d.getUTCHours(),
        d.getUTCMinutes(),
        d.getUTCSeconds(),
        d.getUTCMilliseconds(),
      ]
    : [
        d.getFullYear(),
        d.getMonth() + 1,
        d.getDate(),
        d.getHours(),
        d.getMinutes(),
        d.getSeconds(),
        d.getMilliseconds(),
      ];
  return `${y}-${pad(mo)}-${pad(da)} ${pad(h)}:${pad(mi)}:${pad(s)}${withMillis ? `.${pad(ms, 3)}` : ''}`;
}

export function zoneLabel(): string {
  return timeZone.value === 'UTC' ? 'UTC' : Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** `1h 02m`, `3.4s`, `—`. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return '—';
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)}s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m ${pad(Math.round(seconds % 60))}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${pad(m % 60)}m`;
  return `${Math.floor(h / 24)}d ${pad(h % 24)}h`;
}

/** States a run does not leave: it has ended. */
export const TERMINAL = new Set(['COMPLETED', 'FAILED', 'CRASHED', 'CANCELLED']);

export const STATE_TYPES = [
  'COMPLETED',
  'FAILED',
  'CRASHED',
  'CANCELLED',
  'CANCELLING',
  'RUNNING',
  'PENDING',
  'SCHEDULED',
  'PAUSED',
] as const;

export function stateClass(type: string | null | undefined): string {
  return `state state-${(type ?? 'none').toLowerCase()}`;
}

export function levelName(level: number): string {
  if (level >= 50) return 'CRITICAL';
  if (level >= 40) return 'ERROR';
  if (level >= 30) return 'WARNING';
  if (level >= 20) return 'INFO';
  if (level >= 10) return 'DEBUG';
  return `L${level}`;
}
