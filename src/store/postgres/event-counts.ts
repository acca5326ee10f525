/** PostgreSQL count-by: the parts of `countPlan` (`event-count-plan.ts`) as PostgreSQL queries. */
import type { CountKey, EventCountRow, EventFilter, EventQuery, EventScope, TimeBuckets } from '../../domain/events.ts';
import { type CountPlan, countPlan, mergeCounts, type RawCountRow as RawRow } from '../shared/event-count-plan.ts';
import { exactCountColumns, rollupCountColumns } from '../sql/event-counts.ts';
import { keyColumnConds } from '../sql/event-filters.ts';
import { type PgDb, prepared } from './db.ts';
import { param } from './dialect.ts';
import { pgEventSql } from './event-sql.ts';

/** What count-by needs of the event store (an interface, so that `events.ts` can import this file). */
export interface PgEventCountSource {
  readonly db: PgDb;
  where(scope: EventScope, q: Omit<EventQuery, 'limit'>, p: unknown[]): Promise<string | undefined>;
  scopeKeys(scope: EventScope): Promise<number[] | undefined>;
  tenantKey(e: { accountId: string; workspaceId: string | null }): Promise<number | undefined>;
  tenantOf(ws: number): Promise<{ accountId: string; workspaceId: string | null }>;
}

async function exact(
  events: PgEventCountSource,
  scope: EventScope,
  key: CountKey,
  filter: EventFilter,
  buckets: TimeBuckets | undefined,
): Promise<RawRow[]> {
  const p: unknown[] = [];
  const where = await events.where(scope, { filter, order: 'ASC' }, p);
  if (where === undefined) return [];
  const from = `events e WHERE ${where}`;
  const sql = `SELECT ${exactCountColumns(pgEventSql, key, buckets)} FROM ${from} GROUP BY 1`;
  return prepared<RawRow>(events.db, sql, p);
}

async function fromRollups(
  events: PgEventCountSource,
  scope: EventScope,
  key: CountKey,
  filter: EventFilter,
  buckets: TimeBuckets | undefined,
  { table, fromHour, toHour }: NonNullable<CountPlan['rollup']>,
): Promise<RawRow[]> {
  const keys = await events.scopeKeys(scope);
  if (!keys) return [];
  const p: unknown[] = [];
  const conds = [
    `r.ws = ANY(${param(p, keys)}::int[])`,
    `r.hour >= ${param(p, fromHour)}`,
    `r.hour < ${param(p, toHour)}`,
  ];
  let wsKeys: number[] | undefined;
  if (filter.workspaces) {
    wsKeys = [];
    for (const id of filter.workspaces) {
      const k = await events.tenantKey({ accountId: scope.accountId, workspaceId: id });
      if (k !== undefined) wsKeys.push(k);
    }
  }
  conds.push(...keyColumnConds(pgEventSql, 'r', filter, p, wsKeys));
  const t = table === 'names' ? 'event_rollup_names' : 'event_rollup_resources';
  const sql = `SELECT ${rollupCountColumns(pgEventSql, key, buckets)} FROM ${t} r WHERE ${conds.join(' AND ')} GROUP BY 1`;
  return prepared<RawRow>(events.db, sql, p);
}

export async function countEvents(
  events: PgEventCountSource,
  scope: EventScope,
  key: CountKey,
  filter: EventFilter,
  buckets: TimeBuckets | undefined,
): Promise<EventCountRow[]> {
  const plan = countPlan(scope, key, filter, buckets);
  const parts: RawRow[][] = [];
  if (plan.rollup) parts.push(await fromRollups(events, scope, key, filter, buckets, plan.rollup));
  for (const f of plan.exact) parts.push(await exact(events, scope, key, f, buckets));
  return mergeCounts(parts, key, async (k) => (await events.tenantOf(k)).workspaceId);
}
