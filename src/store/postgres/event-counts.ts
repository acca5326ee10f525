/**
 * PostgreSQL count-by, the same plan as SQLite's: whole hours inside the window from the hourly
 * rollups when the filter allows it (window, event names/prefixes, resource ids in a workspace,
 * Cloud's workspace scope), the partial hours at the edges and every other filter counted exactly.
 */
import type { CountKey, EventCountRow, EventFilter, EventScope, TimeBuckets } from '../../domain/events.ts';
import { prefixUpperBound } from '../event-keys.ts';
import { type PgEvents, prepared } from './events.ts';
import { Params } from './params.ts';

const HOUR = 3_600_000_000;

interface RawRow {
  k: string | number | null;
  n: number;
  first: number;
  last: number;
  /** 20-digit zero-padded time of the latest known name, then the name. */
  named?: string | null;
}

function bucketKey(expr: string, b: TimeBuckets): string {
  return `floor((${expr} - ${Math.trunc(b.origin)})::numeric / ${Math.trunc(b.width)})::bigint`;
}

const NAME_EXPR = "nullif(coalesce(e.resource ->> 'prefect.resource.name', e.resource ->> 'prefect.name', ''), '')";
const padded = (t: string) => `lpad((${t})::text, 20, '0')`;

async function exact(events: PgEvents, scope: EventScope, key: CountKey, filter: EventFilter, buckets: TimeBuckets | undefined): Promise<RawRow[]> {
  const p = new Params();
  const where = await events.where(scope, { filter, order: 'ASC' }, p);
  if (where === undefined) return [];
  let k: string;
  let named = '';
  const from = `events e WHERE ${where}`;
  switch (key) {
    case 'time':
      k = bucketKey('e.occurred', buckets!);
      break;
    case 'event':
      k = 'e.event';
      break;
    case 'resource':
      k = 'e.resource_id';
      named = `, max(${padded('e.occurred')} || ${NAME_EXPR}) AS named`;
      break;
    case 'workspace':
      k = 'e.ws';
      break;
    default:
      k = "coalesce(e.actor_id, '')";
      named = `, max(${padded('e.occurred')} || e.actor_name) AS named`;
  }
  const sql = `SELECT ${k} AS k, count(*) AS n, min(e.occurred) AS first, max(e.occurred) AS last${named} FROM ${from} GROUP BY 1`;
  return prepared<RawRow>(events.db, sql, p.values);
}

function rollupable(scope: EventScope, filter: EventFilter, key: CountKey, buckets: TimeBuckets | undefined): 'names' | 'resources' | undefined {
  if (key === 'time' && (!buckets || buckets.width % HOUR !== 0 || buckets.origin % HOUR !== 0)) return undefined;
  if (filter.related || filter.any_resource || filter.ids?.length || filter.text || filter.foreignAccount) return undefined;
  const r = filter.resource;
  if (r && (r.id_prefix?.length || r.labels || r.distinct)) return undefined;
  if (r?.id?.length) return scope.kind === 'workspace' && key !== 'actor' ? 'resources' : undefined;
  return key === 'resource' ? undefined : 'names';
}

function prefixSql(expr: string, prefixes: string[], p: Params): string {
  return `(${prefixes
    .map((pre) => {
      if (pre === '') return 'true';
      const upper = prefixUpperBound(pre);
      const lo = `${expr} >= ${p.add(pre)}`;
      return upper === undefined ? lo : `(${lo} AND ${expr} < ${p.add(upper)})`;
    })
    .join(' OR ')})`;
}

async function fromRollups(
  events: PgEvents,
  scope: EventScope,
  key: CountKey,
  filter: EventFilter,
  buckets: TimeBuckets | undefined,
  table: 'names' | 'resources',
  fromHour: number,
  toHour: number,
): Promise<RawRow[]> {
  const keys = await events.scopeKeys(scope);
  if (!keys) return [];
  const p = new Params();
  const conds = [`r.ws = ANY(${p.add(keys)}::int[])`, `r.hour >= ${p.add(fromHour)}`, `r.hour < ${p.add(toHour)}`];
  if (filter.workspaces) {
    const ws: number[] = [];
    for (const id of filter.workspaces) {
      const k = await events.tenantKey({ accountId: scope.accountId, workspaceId: id });
      if (k !== undefined) ws.push(k);
    }
    conds.push(`r.ws = ANY(${p.add(ws)}::int[])`);
  }
  const ev = filter.event;
  if (ev?.prefix?.length) conds.push(prefixSql('r.event', ev.prefix, p));
  if (ev?.exclude_prefix?.length) conds.push(`NOT ${prefixSql('r.event', ev.exclude_prefix, p)}`);
  if (ev?.name?.length) conds.push(`r.event = ANY(${p.add(ev.name)}::text[])`);
  if (ev?.exclude_name?.length) conds.push(`NOT r.event = ANY(${p.add(ev.exclude_name)}::text[])`);
  if (filter.resource?.id?.length) conds.push(`r.resource_id = ANY(${p.add(filter.resource.id)}::text[])`);
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
      named = `, max(${padded('r.name_at')} || r.name) AS named`;
      break;
    case 'actor':
      k = 'r.actor';
      named = `, max(${padded('r.actor_name_at')} || r.actor_name) AS named`;
      break;
    default:
      k = 'r.ws';
  }
  const t = table === 'names' ? 'event_rollup_names' : 'event_rollup_resources';
  const sql = `SELECT ${k} AS k, sum(r.n)::bigint AS n, min(r.first_occurred) AS first, max(r.last_occurred) AS last${named} FROM ${t} r WHERE ${conds.join(' AND ')} GROUP BY 1`;
  return prepared<RawRow>(events.db, sql, p.values);
}

export async function countEvents(
  events: PgEvents,
  scope: EventScope,
  key: CountKey,
  filter: EventFilter,
  buckets: TimeBuckets | undefined,
): Promise<EventCountRow[]> {
  const table = rollupable(scope, filter, key, buckets);
  const firstHour = Math.ceil(filter.since / HOUR) * HOUR;
  const endHour = Math.floor((filter.until + 1) / HOUR) * HOUR;
  const parts: RawRow[][] = [];
  if (!table || firstHour >= endHour) parts.push(await exact(events, scope, key, filter, buckets));
  else {
    parts.push(await fromRollups(events, scope, key, filter, buckets, table, firstHour, endHour));
    if (filter.since < firstHour) parts.push(await exact(events, scope, key, { ...filter, until: firstHour - 1 }, buckets));
    if (endHour <= filter.until) parts.push(await exact(events, scope, key, { ...filter, since: endHour }, buckets));
  }
  const merged = new Map<string, RawRow>();
  for (const rows of parts) {
    for (const r of rows) {
      const k = String(r.k ?? '');
      const cur = merged.get(k);
      if (!cur) merged.set(k, { ...r, k });
      else {
        cur.n += r.n;
        cur.first = Math.min(cur.first, r.first);
        cur.last = Math.max(cur.last, r.last);
        if ((r.named ?? '') > (cur.named ?? '')) cur.named = r.named;
      }
    }
  }
  const out: EventCountRow[] = [];
  for (const r of merged.values()) {
    let value = String(r.k);
    if (key === 'workspace') value = (await events.tenantOf(Number(r.k))).workspaceId ?? '';
    const label = r.named ? r.named.slice(20) || null : null;
    out.push({ value, label, count: Number(r.n), first: r.first, last: r.last });
  }
  return out;
}
