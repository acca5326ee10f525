/**
 * Time inside Sightline is an integer count of microseconds since the Unix epoch (UTC).
 * Parsing and rendering are done by hand so that no value ever passes through `Date`
 * (which would lose the microseconds).
 */
import { fail, type Schema, schema } from '../lib/schema.ts';

export type Micros = number;

export const MICROS_PER_SECOND = 1_000_000;
export const MICROS_PER_DAY = 86_400 * MICROS_PER_SECOND;

/** Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm). */
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(z: number): [number, number, number] {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

/**
 * The representable range of every time Sightline stores (ADR 23): 1700-01-01 to the end of 2199,
 * UTC. Times are integer microseconds held in doubles, exact only below 2^53 µs (about 285 years
 * either side of 1970), and SQLite refuses to return larger integers to JavaScript at all; this
 * round range sits inside that on both engines, so what is acknowledged is what reads back.
 */
export const TIME_MIN: Micros = daysFromCivil(1700, 1, 1) * MICROS_PER_DAY;
export const TIME_MAX: Micros = daysFromCivil(2200, 1, 1) * MICROS_PER_DAY - 1;

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(?:([Zz])|([+-])(\d{2}):?(\d{2})?)?$/;

/** Parses any ISO-8601 date or date-time; offsets are honoured, a naive value is UTC. */
export function parseIsoMicros(text: string): Micros | undefined {
  const m = ISO.exec(text.trim());
  if (!m) return undefined;
  const [, ys, mos, ds, hs, mis, ss, frac, , sign, ohs, oms] = m;
  const y = +ys;
  const mo = +mos;
  const d = +ds;
  const h = hs ? +hs : 0;
  const mi = mis ? +mis : 0;
  const s = ss ? +ss : 0;
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59) return undefined;
  const micros = frac ? Number(frac.slice(0, 6).padEnd(6, '0')) : 0;
  let offsetMinutes = 0;
  if (sign) {
    const oh = +ohs;
    const om = oms ? +oms : 0;
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = (sign === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const seconds = daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offsetMinutes * 60;
  return seconds * MICROS_PER_SECOND + micros;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(m) ? 30 : 31;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

function parts(t: Micros): { date: string; time: string; frac: string } {
  const days = Math.floor(t / MICROS_PER_DAY);
  const rest = t - days * MICROS_PER_DAY;
  const [y, m, d] = civilFromDays(days);
  const secs = Math.floor(rest / MICROS_PER_SECOND);
  const us = rest - secs * MICROS_PER_SECOND;
  return {
    date: `${pad(y, 4)}-${pad(m)}-${pad(d)}`,
    time: `${pad(Math.floor(secs / 3600))}:${pad(Math.floor(secs / 60) % 60)}:${pad(secs % 60)}`,
    frac: us === 0 ? '' : `.${pad(us, 6)}`,
  };
}

/** Prefect's JSON rendering: UTC, `Z` suffix, microseconds only when non-zero. */
export function formatMicros(t: Micros): string {
  const p = parts(t);
  return `${p.date}T${p.time}${p.frac}Z`;
}

/** Python `str(datetime)` of an aware UTC datetime, as used by the CSV log download. */
export function formatPythonStr(t: Micros): string {
  const p = parts(t);
  return `${p.date} ${p.time}${p.frac}+00:00`;
}

/** Python `datetime.isoformat()` of an aware UTC datetime (`+00:00`, not `Z`). */
export function formatPythonIso(t: Micros): string {
  const p = parts(t);
  return `${p.date}T${p.time}${p.frac}+00:00`;
}

export function formatNullable(t: Micros | null | undefined): string | null {
  return t === null || t === undefined ? null : formatMicros(t);
}

const origin = Math.round(performance.timeOrigin * 1000);

/** The current time in microseconds (monotonic within the process, anchored at start-up). */
export function nowMicros(): Micros {
  return origin + Math.floor(performance.now() * 1000);
}

/** Start of the UTC day containing `t`. */
export function startOfUtcDay(t: Micros): Micros {
  return Math.floor(t / MICROS_PER_DAY) * MICROS_PER_DAY;
}

const TIME_RANGE = `${formatMicros(TIME_MIN)} and ${formatMicros(TIME_MAX)}`;

/**
 * An ISO-8601 date-time, parsed to integer microseconds since the epoch, within the range every
 * engine stores and renders exactly (`TIME_MIN..TIME_MAX`, see `time.ts`); outside it → 422.
 */
export function datetime(): Schema<Micros> {
  return schema(
    (v, loc, issues) => {
      const t = typeof v === 'string' && v.length <= 64 ? parseIsoMicros(v) : undefined;
      if (t === undefined) return fail(issues, loc, 'datetime_parsing', 'Input should be a valid datetime', v);
      if (t < TIME_MIN || t > TIME_MAX)
        return fail(issues, loc, 'value_error', `Value error, datetime must be between ${TIME_RANGE}`, v);
      return t;
    },
    () => ({ type: 'string', format: 'date-time' }),
  );
}
