/**
 * `POST /events/count-by/{countable}`: groups of matching events. Time buckets follow Prefect:
 * `time_interval × time_unit` wide, aligned to 2024-04-01T00:00:00Z, every bucket from `since`
 * to `until` (empty ones with count 0; a future `until` ends with the current unit), at most 1000.
 */
import { AppError, invalidField } from '../../domain/errors.ts';
import {
  COUNTABLES,
  type Countable,
  type CountKey,
  type EventCountRow,
  eventFilterCloudSchema,
  eventFilterOssSchema,
} from '../../domain/events.ts';
import { datetime, formatMicros, type Micros, nowMicros, parseIsoMicros } from '../../domain/time.ts';
import { type Infer, int, literal, named, num, object, optional, str } from '../../lib/schema.ts';
import { type PathFamily, storeOf } from '../context.ts';
import type { EventsContext } from './context.ts';
import { resolveFilter } from './filter-events.ts';

export const MAX_BUCKETS = 1000;
export const PIVOT: Micros = parseIsoMicros('2024-04-01T00:00:00Z')!;
export const TIME_UNITS = ['week', 'day', 'hour', 'minute', 'second'] as const;
type TimeUnit = (typeof TIME_UNITS)[number];
const UNIT_MICROS: Record<TimeUnit, number> = {
  week: 7 * 86_400_000_000,
  day: 86_400_000_000,
  hour: 3_600_000_000,
  minute: 60_000_000,
  second: 1_000_000,
};

function bodySchema(family: PathFamily) {
  const filter = family === 'oss' ? eventFilterOssSchema : eventFilterCloudSchema;
  return object(
    {
      // Prefect OSS requires the filter; Cloud paths accept a missing one.
      filter: family === 'oss' ? filter : optional(filter),
      time_unit: optional(literal(TIME_UNITS), () => 'day' as const),
      time_interval: optional(num({ min: 0.01 }), () => 1),
    },
    { extra: 'ignore' },
  );
}
const schemas = { oss: bodySchema('oss'), cloud: bodySchema('cloud') };
export function countEventsSchema(family: PathFamily) {
  return schemas[family];
}

/** The Cloud shape covers both (its filter is optional). */
export type CountEventsInput = Infer<(typeof schemas)['cloud']>;

export const countableSchema = literal(COUNTABLES);

export const eventCountSchema = named(
  'EventCount',
  object({ value: str(), label: str(), count: int({ min: 0 }), start_time: datetime(), end_time: datetime() }),
);

export interface EventCountBody {
  value: string;
  label: string;
  count: number;
  start_time: string;
  end_time: string;
}

function byCountThenLabel(a: EventCountBody, b: EventCountBody): number {
  return b.count - a.count || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0);
}

export async function countEvents(
  ctx: EventsContext,
  countable: Countable,
  input: CountEventsInput,
): Promise<EventCountBody[]> {
  const now = nowMicros();
  const filter = resolveFilter(input.filter, ctx.scope, now);
  // `day` is the legacy spelling of one-day time buckets.
  const unit: TimeUnit = countable === 'day' ? 'day' : input.time_unit;
  const interval = countable === 'day' ? 1 : input.time_interval;
  const width = Math.max(1, Math.round(UNIT_MICROS[unit] * interval));
  if (filter.until < filter.since) throw invalidField(['body', 'filter', 'occurred'], 'until must not be before since');
  const buckets = Math.ceil((filter.until - filter.since) / width);
  if (buckets > MAX_BUCKETS) {
    throw new AppError(
      'invalid_input',
      `The given interval would create ${buckets} buckets, which is too many. Please increase the interval or reduce the time range to produce ${MAX_BUCKETS} buckets or fewer.`,
    );
  }
  const key: CountKey = countable === 'day' ? 'time' : countable;
  const spec = { origin: PIVOT, width };
  const rows = await storeOf(ctx.services).events.countBy(ctx.scope, key, filter, key === 'time' ? spec : undefined);
  if (key === 'time') return timeRows(rows, filter.since, filter.until, now, unit, spec.width);
  const out = rows.map((r) => render(ctx, key, r));
  if (key === 'workspace') {
    const names = new Map((await storeOf(ctx.services).tenancy.listWorkspaces()).map((w) => [w.id, w.name]));
    for (const r of out) r.label = r.value === '' ? '(account)' : (names.get(r.value) ?? r.value);
  }
  return out.sort(byCountThenLabel);
}

function render(_ctx: EventsContext, key: CountKey, r: EventCountRow): EventCountBody {
  let label = r.label ?? r.value;
  if (key === 'actor' && r.value === '') label = '(no actor)';
  return { value: r.value, label, count: r.count, start_time: formatMicros(r.first), end_time: formatMicros(r.last) };
}

function timeRows(
  rows: EventCountRow[],
  since: Micros,
  until: Micros,
  now: Micros,
  unit: TimeUnit,
  width: number,
): EventCountBody[] {
  const counts = new Map(rows.map((r) => [Number(r.value), r.count]));
  // A range reaching into the future ends with the current unit.
  let end = until;
  if (until > now) {
    const u = UNIT_MICROS[unit];
    end = Math.min(until, PIVOT + Math.floor((now - PIVOT) / u) * u + u - 1);
  }
  const out: EventCountBody[] = [];
  for (let k = Math.floor((since - PIVOT) / width); PIVOT + k * width <= end && out.length <= MAX_BUCKETS; k++) {
    const start = PIVOT + k * width;
    const label = formatMicros(start);
    out.push({
      value: String(k),
      label,
      count: counts.get(k) ?? 0,
      start_time: label,
      end_time: formatMicros(start + width - 1),
    });
  }
  return out;
}
