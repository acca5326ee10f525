/**
 * SQLite count-by. Filters made only of the window, event names/prefixes and resource ids (plus
 * Cloud's workspace scope) are answered from the hourly rollups for the whole hours inside the
 * window, and exactly from `events` for the partial hours at its edges; every other filter is
 * counted exactly. Both paths give the same rows.
 */
import type { CountKey, EventCountRow, EventFilter, EventScope, TimeBuckets } from '../../domain/events.ts';
import { type Param, prefixUpperBound } from './event-filter-sql.ts';
import type { SqliteEvents } from './events.ts';

const HOUR = 3_600_000_000;

interface RawRow {
  k: string | number | null;
  n: number;
  first: number;
  last: number;
  /** 20-digit zero-padded `occurred` of the latest known name, then the name (resource and actor keys). */
  named?: string | null;
}

/** Bucket index: floor((t − origin) / width), also before the origin. Integers only, so inlined. */
function bucketKey(expr: string, b: TimeBuckets): string {
  const o = Math.trunc(b.origin);
  const w = Math.trunc(b.width);
  return `((${expr} - ${o}) - (((${expr} - ${o}) % ${w} + ${w}) % ${w})) / ${w}`;
}

const NAME_EXPR = "nullif(coalesce(e.resource ->> 'prefect.resource.name', e.resource ->> 'prefect.name', ''), '')";

/** Exact counts from `events` over `[since, until]`. */
function exact(events: SqliteEvents, scope: EventScope, key: CountKey, filter: EventFilter, buckets: TimeBuckets | undefined): RawRow[] {
  const params: Param[] = [];
  const where = events.where(scope, { filter, order: 'ASC' }, params);
  if (where === undefined) return [];
  let k: string;
  let named = '';
  const from = `events e ${events.driver({ filter, order: 'ASC' }) ?? ''}`;
  switch (key) {
    case 'time':
      k = bucketKey('e.occurred', buckets!);
      break;
    case 'event':
      k = 'e.event';
      break;
    case 'resource':
      k = 'e.resource_id';
      named = `, max(printf('%020d', e.occurred) || ${NAME_EXPR}) AS named`;
      break;
    case 'workspace':
      k = 'e.ws';
      break;
    case 'actor':
      k = "coalesce(e.actor_id, '')";
      named = ", max(printf('%020d', e.occurred) || e.actor_name) AS named";
      break;
  }
  const sql = `SELECT ${k} AS k, count(*) AS n, min(e.occurred) AS first, max(e.occurred) AS last${named} FROM ${from} WHERE ${where} GROUP BY 1`;
  return events.db.stmt(sql).all(...params) as unknown as RawRow[];
}

/** Whether the rollups can answer this filter (and, for time buckets, this bucket width). */
function rollupable(scope: EventScope, filter: EventFilter, key: CountKey, buckets: TimeBuckets | undefined): 'names' | 'resources' | undefined {
  if (key === 'time' && (!buckets || buckets.width % HOUR !== 0 || buckets.origin % HOUR !== 0)) return undefined;
  if (filter.related || filter.any_resource || filter.ids?.length || filter.text || filter.foreignAccount) return undefined;
  const r = filter.resource;
  if (r && (r.id_prefix?.length || r.labels || r.distinct)) return undefined;
  // The resource rollup is keyed by (workspace, resource): it answers resource-id filters in a
  // workspace; grouping every resource of a window is cheaper from the events' own index.
  if (r?.id?.length) return scope.kind === 'workspace' && key !== 'actor' ? 'resources' : undefined;
  return key === 'resource' ? undefined : 'names';
}

function inList(expr: string, values: string[], params: Param[]): string {
  params.push(...values);
  return `${expr} IN (${values.map(() => '?').join(', ')})`;
}

function prefixSql(expr: string, prefixes: string[], params: Param[]): string {
  return `(${prefixes
    .map((p) => {
      const upper = prefixUpperBound(p);
      if (p === '') return '1';
      params.push(p);
      if (upper === undefined) return `${expr} >= ?`;
      params.push(upper);
      return `(${expr} >= ? AND ${expr} < ?)`;
    })
    .join(' OR ')})`;
}

/** Rollup counts over the whole hours `[fromHour, toHour)`. */
function fromRollups(
  events: SqliteEvents,
  scope: EventScope,
  key: CountKey,
  filter: EventFilter,
  buckets: TimeBuckets | undefined,
  table: 'names' | 'resources',
  fromHour: number,
  toHour: number,
  wsKeys: (ids: string[]) => number[],
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
  if (filter.workspaces) {
    const keys = wsKeys(filter.workspaces);
    conds.push(keys.length ? `r.ws IN (${keys.join(', ')})` : '0');
  }
  const ev = filter.event;
  if (ev?.prefix?.length) conds.push(prefixSql('r.event', ev.prefix, params));
  if (ev?.exclude_prefix?.length) conds.push(`NOT ${prefixSql('r.event', ev.exclude_prefix, params)}`);
  if (ev?.name?.length) conds.push(inList('r.event', ev.name, params));
  if (ev?.exclude_name?.length) conds.push(`NOT ${inList('r.event', ev.exclude_name, params)}`);
  if (filter.resource?.id?.length) conds.push(inList('r.resource_id', filter.resource.id, params));
  let k: string;
  let named = '';
  switch (key) {
    case 'time':
      k = bucketKey('r.hour', buckets!);
      break;
    case 'event':
      k = 'r.event';
      break;
    case 'resource':
      k = 'r.resource_id';
      named = ", max(printf('%020d', r.name_at) || r.name) AS named";
      break;
    case 'actor':
      k = 'r.actor';
      named = ", max(printf('%020d', r.actor_name_at) || r.actor_name) AS named";
      break;
    default:
      k = 'r.ws';
  }
  const sql = `SELECT ${k} AS k, sum(r.n) AS n, min(r.first_occurred) AS first, max(r.last_occurred) AS last${named} FROM ${t} r WHERE ${conds.join(' AND ')} GROUP BY 1`;
  return events.db.stmt(sql).all(...params) as unknown as RawRow[];
}

function merge(parts: RawRow[][]): Map<string, RawRow> {
  const out = new Map<string, RawRow>();
  for (const rows of parts) {
    for (const r of rows) {
      const k = String(r.k ?? '');
      const cur = out.get(k);
      if (!cur) out.set(k, { ...r, k });
      else {
        cur.n += r.n;
        cur.first = Math.min(cur.first, r.first);
        cur.last = Math.max(cur.last, r.last);
        if ((r.named ?? '') > (cur.named ?? '')) cur.named = r.named;
      }
    }
  }
  return out;
}

export function countEvents(
  events: SqliteEvents,
  scope: EventScope,
  key: CountKey,
  filter: EventFilter,
  buckets: TimeBuckets | undefined,
): Promise<EventCountRow[]> {
  const table = rollupable(scope, filter, key, buckets);
  let parts: RawRow[][];
  const firstHour = Math.ceil(filter.since / HOUR) * HOUR;
  const endHour = Math.floor((filter.until + 1) / HOUR) * HOUR;
  if (!table || firstHour >= endHour) {
    parts = [exact(events, scope, key, filter, buckets)];
  } else {
    const wsKeys = (ids: string[]) => ids.map((id) => events.tenancyKey(id)).filter((k) => k !== undefined);
    parts = [fromRollups(events, scope, key, filter, buckets, table, firstHour, endHour, wsKeys)];
    if (filter.since < firstHour) parts.push(exact(events, scope, key, { ...filter, until: firstHour - 1 }, buckets));
    if (endHour <= filter.until) parts.push(exact(events, scope, key, { ...filter, since: endHour }, buckets));
  }
  const rows: EventCountRow[] = [];
  for (const r of merge(parts).values()) {
    let value = String(r.k);
    if (key === 'workspace') value = events.workspaceId(Number(r.k)) ?? '';
    const label = r.named ? r.named.slice(20) || null : null;
    rows.push({ value, label, count: r.n, first: r.first, last: r.last });
  }
  return Promise.resolve(rows);
}
