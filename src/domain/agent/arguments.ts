/**
 * How the agent tools read what an agent types: times as ISO-8601 or an age before now (`24h`),
 * run ids as a UUID or a unique prefix, levels as a number or a name. A bad value is an
 * `invalid_parameter` error that names the argument and what it accepts.
 */
import { AppError } from '../errors.ts';
import { normalizeUuid } from '../ids.ts';
import { MICROS_PER_SECOND, type Micros, parseIsoMicros } from '../time.ts';

/** The shortest run-id prefix accepted (8 hex digits: the first group of a UUID). */
export const ID_PREFIX_MIN = 8;

export function badArgument(name: string, message: string, hint?: string): AppError {
  return new AppError('invalid_parameter', `${name}: ${message}`, {
    details: { parameter: name, ...(hint ? { hint } : {}) },
  });
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** An instant given as ISO-8601 or as an age before `now` (`90s`, `30m`, `24h`, `7d`, `2w`). */
export function parseWhen(name: string, text: string, now: Micros): Micros {
  const age = /^\s*(\d{1,6})\s*([smhdw])\s*$/i.exec(text);
  if (age) return now - Number(age[1]) * UNIT_SECONDS[age[2].toLowerCase()] * MICROS_PER_SECOND;
  const t = parseIsoMicros(text.trim());
  if (t === undefined)
    throw badArgument(name, `'${text.slice(0, 40)}' is neither an ISO-8601 time nor an age such as "24h" or "7d"`);
  return t;
}

/** `since`/`until` read together: `since` must come before `until`. */
export function parseWindow(
  since: string | undefined,
  until: string | undefined,
  now: Micros,
): { since?: Micros; until?: Micros } {
  const s = since === undefined ? undefined : parseWhen('since', since, now);
  const u = until === undefined ? undefined : parseWhen('until', until, now);
  if (s !== undefined && u !== undefined && s >= u)
    throw badArgument('since', 'must be before until', 'give an earlier since or a later until');
  return { since: s, until: u };
}

/** A run id as typed: a full UUID (normalised), or a prefix of at least 8 hex digits. */
type RunIdArgument = { kind: 'id'; id: string } | { kind: 'prefix'; prefix: string };

export function parseRunId(name: string, text: string): RunIdArgument {
  const id = normalizeUuid(text.trim());
  if (id) return { kind: 'id', id };
  const prefix = text.trim().toLowerCase();
  if (/^[0-9a-f]{8}(?:-[0-9a-f]{0,4}){0,3}(?:-[0-9a-f]{0,12})?$/.test(prefix) && prefix.length >= ID_PREFIX_MIN)
    return { kind: 'prefix', prefix };
  throw badArgument(
    name,
    `'${text.slice(0, 40)}' is not a run id: give a UUID or its first ${ID_PREFIX_MIN} or more hex digits`,
    'call find-flow-runs to list runs with their ids',
  );
}

const LEVELS: Record<string, number> = { debug: 10, info: 20, warning: 30, warn: 30, error: 40, critical: 50 };

/** A log level as a number (0–100) or a name (`debug` … `critical`). */
export function parseLevel(name: string, value: string | number): number {
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0 && value <= 100) return value;
  } else {
    const byName = LEVELS[value.trim().toLowerCase()];
    if (byName !== undefined) return byName;
    if (/^\d{1,3}$/.test(value.trim()) && Number(value) <= 100) return Number(value);
  }
  throw badArgument(
    name,
    `'${String(value).slice(0, 40)}' is not a level: give 0–100 or debug, info, warning, error, critical`,
  );
}

const LEVEL_NAMES: [number, string][] = [
  [50, 'CRITICAL'],
  [40, 'ERROR'],
  [30, 'WARNING'],
  [20, 'INFO'],
  [10, 'DEBUG'],
];

/** Python's name of a level (a level between names takes the one below it, `Level 5` under 10). */
export function levelName(level: number): string {
  for (const [n, name] of LEVEL_NAMES) if (level === n) return name;
  for (const [n, name] of LEVEL_NAMES) if (level > n) return name;
  return `Level ${level}`;
}
