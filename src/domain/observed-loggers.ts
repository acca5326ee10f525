/** Prefect Cloud's `ObservedLogger`: per logger name, how many logs and when first and last seen. */
import { int, named, object, str } from '../lib/schema.ts';
import type { ObservedSort } from './observed-sorts.ts';
import { datetime, formatMicros, type Micros } from './time.ts';

export const OBSERVED_LOGGERS_LIMIT_MAX = 200;
export const OBSERVED_LOGGERS_LIMIT_WORKSPACE = 200;
export const OBSERVED_LOGGERS_LIMIT_TRACE = 100;
export const OBSERVED_LOGGERS_QUERY_MAX = 100;

/** Statistics of one logger name: `firstSeen`/`lastSeen` are the earliest and latest log `timestamp`. */
export interface ObservedLogger {
  name: string;
  count: number;
  firstSeen: Micros;
  lastSeen: Micros;
}

export interface ObservedLoggerQuery {
  /** Case-sensitive prefix of the logger name. */
  prefix?: string;
  /** `LAST_SEEN_DESC` ties and `NAME_ASC` both order names by code point. */
  orderBy: ObservedSort;
  limit: number;
}

export const observedLoggerSchema = named(
  'ObservedLogger',
  object({ logger_name: str(), count: int({ min: 0 }), first_seen: datetime(), last_seen: datetime() }),
);

export function renderObservedLogger(l: ObservedLogger): Record<string, unknown> {
  return {
    logger_name: l.name,
    count: l.count,
    first_seen: formatMicros(l.firstSeen),
    last_seen: formatMicros(l.lastSeen),
  };
}
