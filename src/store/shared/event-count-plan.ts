/**
 * The engine-neutral half of count-by (no SQL). Filters made only of the window, event
 * names/prefixes and resource ids (plus Cloud's workspace scope) are answered from the hourly
 * rollups for the whole hours inside the window, and exactly from the events for the partial hours
 * at its edges; every other filter is counted exactly. Both paths give the same rows; each engine
 * runs the parts and this module merges them.
 */
import type { CountKey, EventCountRow, EventFilter, EventScope, TimeBuckets } from '../../domain/events.ts';

/** The rollups' bucket: one hour of `occurred`, in microseconds. */
export const HOUR = 3_600_000_000;

/** One group as an engine's query returns it. */
export interface RawCountRow {
  k: string | number | null;
  n: number | string;
  first: number;
  last: number;
  /** 20-digit zero-padded time of the latest known name, then the name (resource and actor keys). */
  named?: string | null;
}

export type RollupTable = 'names' | 'resources';

export interface CountPlan {
  /** Whole hours `[fromHour, toHour)` counted from a rollup table. */
  rollup?: { table: RollupTable; fromHour: number; toHour: number };
  /** Filters to count exactly from the events (the edges of the window, or all of it). */
  exact: EventFilter[];
}

/** Whether the rollups can answer this filter (and, for time buckets, this bucket width). */
function rollupable(
  scope: EventScope,
  filter: EventFilter,
  key: CountKey,
  buckets: TimeBuckets | undefined,
): RollupTable | undefined {
  if (key === 'time' && (!buckets || buckets.width % HOUR !== 0 || buckets.origin % HOUR !== 0)) return undefined;
  if (filter.related || filter.any_resource || filter.ids?.length || filter.text || filter.foreignAccount)
    return undefined;
  const r = filter.resource;
  if (r && (r.id_prefix?.length || r.labels || r.distinct)) return undefined;
  // The resource rollup is keyed by (workspace, resource): it answers resource-id filters in a
  // workspace; grouping every resource of a window is cheaper from the events' own index.
  if (r?.id?.length) return scope.kind === 'workspace' && key !== 'actor' ? 'resources' : undefined;
  return key === 'resource' ? undefined : 'names';
}

export function countPlan(
  scope: EventScope,
  key: CountKey,
  filter: EventFilter,
  buckets: TimeBuckets | undefined,
): CountPlan {
  const table = rollupable(scope, filter, key, buckets);
  const fromHour = Math.ceil(filter.since / HOUR) * HOUR;
  const toHour = Math.floor((filter.until + 1) / HOUR) * HOUR;
  if (!table || fromHour >= toHour) return { exact: [filter] };
  const exact: EventFilter[] = [];
  if (filter.since < fromHour) exact.push({ ...filter, until: fromHour - 1 });
  if (toHour <= filter.until) exact.push({ ...filter, since: toHour });
  return { rollup: { table, fromHour, toHour }, exact };
}

/** The parts' groups merged by key, as count rows; `workspaceOf` turns a workspace key into its id. */
export async function mergeCounts(
  parts: RawCountRow[][],
  key: CountKey,
  workspaceOf: (key: number) => Promise<string | null | undefined> | string | null | undefined,
): Promise<EventCountRow[]> {
  const merged = new Map<string, RawCountRow & { n: number }>();
  for (const rows of parts) {
    for (const r of rows) {
      const k = String(r.k ?? '');
      const cur = merged.get(k);
      if (!cur) merged.set(k, { ...r, k, n: Number(r.n) });
      else {
        cur.n += Number(r.n);
        cur.first = Math.min(cur.first, r.first);
        cur.last = Math.max(cur.last, r.last);
        if ((r.named ?? '') > (cur.named ?? '')) cur.named = r.named;
      }
    }
  }
  const out: EventCountRow[] = [];
  for (const r of merged.values()) {
    const value = key === 'workspace' ? ((await workspaceOf(Number(r.k))) ?? '') : String(r.k);
    const label = r.named ? r.named.slice(20) || null : null;
    out.push({ value, label, count: r.n, first: r.first, last: r.last });
  }
  return out;
}
