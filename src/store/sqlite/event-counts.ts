/** SQLite count-by: the parts of `countPlan` (`event-count-plan.ts`) as SQLite queries. */
import type { CountKey, EventCountRow, EventFilter, EventQuery, EventScope, TimeBuckets } from '../../domain/events.ts';
import {
  type CountPlan,
  countPlan,
  HOUR,
  mergeCounts,
  type RawCountRow as RawRow,
} from '../shared/event-count-plan.ts';
import { exactCountColumns, rollupCountColumns } from '../sql/event-counts.ts';
import { keyColumnConds, prefixSql } from '../sql/event-filters.ts';
import type { Db } from './db.ts';
import { sqliteDialect } from './dialect.ts';
import { type Param, sqliteEventSql } from './event-sql.ts';

/** What count-by needs of the event store (an interface, so that `events.ts` can import this file). */
export interface SqliteEventCountSource {
  readonly db: Db;
  where(scope: EventScope, q: Omit<EventQuery, 'limit'>, params: Param[]): string | undefined;
  driver(q: Omit<EventQuery, 'limit'>): string | undefined;
  tenancyKey(workspaceId: string): number | undefined;
  accountKey(accountId: string): number | undefined;
  workspaceId(key: number): string | null;
}

/** Exact counts from `events` over `[since, until]`. */
function exact(
  events: SqliteEventCountSource,
  scope: EventScope,
  key: CountKey,
  filter: EventFilter,
  buckets: TimeBuckets | undefined,
): RawRow[] {
  const params: Param[] = [];
  const where = events.where(scope, { filter, order: 'ASC' }, params);
  if (where === undefined) return [];
  const from = `events e ${events.driver({ filter, order: 'ASC' }) ?? ''}`;
  const sql = `SELECT ${exactCountColumns(sqliteEventSql, key, buckets)} FROM ${from} WHERE ${where} GROUP BY 1`;
  return events.db.stmt(sql).all(...params) as unknown as RawRow[];
}

/**
 * The event names matching the filter's prefixes that occur in the hours of its window, from the
 * names rollup (a few rows per hour). Lets a prefix filter seek `(ws, event, occurred)` name by
 * name inside the window instead of reading every event with the prefix, whatever its time.
 */
export function prefixedNames(events: SqliteEventCountSource, scope: EventScope, filter: EventFilter): string[] {
  const prefixes = filter.event?.prefix ?? [];
  const acct = events.accountKey(scope.accountId);
  if (acct === undefined) return [];
  const params: Param[] = [];
  const conds = [`r.acct = ${acct}`];
  if (scope.kind === 'workspace') {
    const ws = events.tenancyKey(scope.workspaceId);
    if (ws === undefined) return [];
    conds.push(`r.ws = ${ws}`);
  }
  conds.push('r.hour >= ?', 'r.hour <= ?', prefixSql(sqliteDialect, 'r.event', prefixes, params));
  params.unshift(Math.floor(filter.since / HOUR) * HOUR, Math.floor(filter.until / HOUR) * HOUR);
  const rows = events.db
    .stmt(`SELECT DISTINCT r.event FROM event_rollup_names r WHERE ${conds.join(' AND ')}`)
    .all(...params) as { event: string }[];
  return rows.map((r) => r.event);
}

/** Rollup counts over the whole hours `[fromHour, toHour)`. */
function fromRollups(
  events: SqliteEventCountSource,
  scope: EventScope,
  key: CountKey,
  filter: EventFilter,
  buckets: TimeBuckets | undefined,
  { table, fromHour, toHour }: NonNullable<CountPlan['rollup']>,
): RawRow[] {
  const params: Param[] = [];
  const conds: string[] = [];
  const t = table === 'names' ? 'event_rollup_names' : 'event_rollup_resources';
  const acct = events.accountKey(scope.accountId);
  if (acct === undefined) return [];
  if (scope.kind === 'workspace') {
    const ws = events.tenancyKey(scope.workspaceId);
    if (ws === undefined) return [];
    conds.push(`r.ws = ${ws}`);
  }
  // Only the names rollup serves account scope (see rollupable).
  if (table === 'names') conds.push(`r.acct = ${acct}`);
  conds.push('r.hour >= ?', 'r.hour < ?');
  params.push(fromHour, toHour);
  const wsKeys = filter.workspaces?.map((id) => events.tenancyKey(id)).filter((k) => k !== undefined);
  conds.push(...keyColumnConds(sqliteEventSql, 'r', filter, params, wsKeys));
  const sql = `SELECT ${rollupCountColumns(sqliteEventSql, key, buckets)} FROM ${t} r WHERE ${conds.join(' AND ')} GROUP BY 1`;
  return events.db.stmt(sql).all(...params) as unknown as RawRow[];
}

export function countEvents(
  events: SqliteEventCountSource,
  scope: EventScope,
  key: CountKey,
  filter: EventFilter,
  buckets: TimeBuckets | undefined,
): Promise<EventCountRow[]> {
  const plan = countPlan(scope, key, filter, buckets);
  const parts = plan.exact.map((f) => exact(events, scope, key, f, buckets));
  if (plan.rollup) parts.push(fromRollups(events, scope, key, filter, buckets, plan.rollup));
  return mergeCounts(parts, key, (k) => events.workspaceId(k));
}

/**
 * The exact total of a paged query from the rollups, for the filters they answer: the whole hours
 * from the rollup, less the events of those hours past the query's snapshot (`seq > maxSeq`: a
 * rowid range, a handful of rows), plus the partial hours at the window's edges counted exactly.
 * Run it inside one read transaction (`Db.read`) so that every part sees the same events.
 */
export function totalFromRollups(
  events: SqliteEventCountSource,
  scope: EventScope,
  q: Omit<EventQuery, 'limit' | 'offset' | 'after'>,
  plan: CountPlan & { rollup: NonNullable<CountPlan['rollup']> },
  countExact: (q: Omit<EventQuery, 'limit' | 'offset' | 'after'>) => number,
): number {
  const whole = fromRollups(events, scope, 'event', q.filter, undefined, plan.rollup).reduce(
    (n, r) => n + Number(r.n),
    0,
  );
  const hours = { ...q.filter, since: plan.rollup.fromHour, until: plan.rollup.toHour - 1 };
  const newer = q.maxSeq === undefined ? 0 : countExact({ filter: hours, order: q.order, minSeq: q.maxSeq });
  return whole - newer + plan.exact.reduce((n, f) => n + countExact({ ...q, filter: f }), 0);
}
