/**
 * The two file renderings of a flow run's logs: Prefect's CSV and Sightline's plain text. Both
 * render one row at a time, so exports can stream page by page.
 */
import type { LogRow } from './logs.ts';
import { formatPythonStr, MICROS_PER_SECOND, type Micros } from './time.ts';

export const CSV_HEADER = 'timestamp,level,flow_run_id,task_run_id,message\r\n';

// A spreadsheet treats a cell starting with one of these as a formula (or strips it); an
// apostrophe makes it plain text. This is Sightline's one deliberate change to Prefect's bytes.
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** One CSV cell as Python's `csv.writer` (excel dialect, minimal quoting) writes it, defused. */
export function csvCell(value: string): string {
  const v = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

/** One CSV record of a log: timestamp as Python's `str(datetime)`, a null task run as empty. */
export function csvLine(row: Pick<LogRow, 'timestamp' | 'level' | 'flow_run_id' | 'task_run_id' | 'message'>): string {
  return (
    `${csvCell(formatPythonStr(row.timestamp))},${csvCell(String(row.level))},${csvCell(row.flow_run_id ?? '')},` +
    `${csvCell(row.task_run_id ?? '')},${csvCell(row.message)}\r\n`
  );
}

const LEVEL_NAMES = new Map([
  [0, 'NOTSET'],
  [10, 'DEBUG'],
  [20, 'INFO'],
  [30, 'WARNING'],
  [40, 'ERROR'],
  [50, 'CRITICAL'],
]);

/** Python's level name for the standard levels; other levels are shown as their number. */
export function levelName(level: number): string {
  return LEVEL_NAMES.get(level) ?? String(level);
}

const LEVEL_BY_NAME: Record<string, number> = {
  NOTSET: 0,
  DEBUG: 10,
  INFO: 20,
  WARN: 30,
  WARNING: 30,
  ERROR: 40,
  FATAL: 50,
  CRITICAL: 50,
};

/** A level given by name (case-insensitive, Python's names) or number; undefined if neither. */
export function parseLevel(text: string): number | undefined {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t);
  return LEVEL_BY_NAME[t.toUpperCase()];
}

/** ISO-8601 UTC with all six fractional digits, so that text lines align. */
export function formatFixedIso(t: Micros): string {
  const us = ((t % MICROS_PER_SECOND) + MICROS_PER_SECOND) % MICROS_PER_SECOND;
  const whole = formatPythonStr(t - us); // `YYYY-MM-DD HH:MM:SS+00:00`: no fraction when it is zero
  return `${whole.slice(0, 10)}T${whole.slice(11, 19)}.${String(us).padStart(6, '0')}Z`;
}

const LINE_BREAK = /\r\n|\r|\n/;
export const CONTINUATION_INDENT = '    ';

export interface TextLineOptions {
  /** Decorates the level name (the CLI colours it on a terminal). */
  level?: (name: string, level: number) => string;
}

/**
 * `<timestamp> <LEVEL> <logger> <message>`; the message's further lines follow, indented, so that
 * every line that does not start with a timestamp belongs to the log above it.
 */
export function textLine(
  row: Pick<LogRow, 'timestamp' | 'level' | 'name' | 'message'>,
  opts: TextLineOptions = {},
): string {
  const name = levelName(row.level);
  const lines = row.message.replace(/[\r\n]+$/, '').split(LINE_BREAK);
  let out = `${formatFixedIso(row.timestamp)} ${opts.level ? opts.level(name, row.level) : name} ${row.name} ${lines[0]}\n`;
  for (let i = 1; i < lines.length; i++) out += `${CONTINUATION_INDENT}${lines[i]}\n`;
  return out;
}
