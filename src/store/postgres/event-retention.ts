/**
 * PostgreSQL: retention's event deletions (ADR 42). One batch is one transaction that removes the
 * oldest events of a name group and corrects what the append projections derived from them: per-run
 * event counters (decremented), the hourly rollup rows they fed (decremented, their first/last
 * read again) and the tags still in the index (recomputed).
 */
import type pg from 'pg';
import type { StoredEvent } from '../../domain/events.ts';
import type { EventGroup } from '../../domain/retention.ts';
import { MICROS_PER_DAY as DAY } from '../../domain/time.ts';
import { HOUR } from '../shared/event-count-plan.ts';
import { type FlowRunEventCount, flowRunEventCounts, rollupDeltas, tagDeltas } from '../shared/event-deltas.ts';
import { prefixUpperBound, ridHash } from '../shared/event-keys.ts';
import { param } from './dialect.ts';
import { COLUMNS, type PgEvents } from './events.ts';

/** Below this many events a tag's remaining events are all read (through the related-id index). */
const TAG_FULL_READ = 10_000;

function groupWhere(ws: number, g: EventGroup, p: unknown[]): string {
  let where = `e.ws = ${param(p, ws)} AND e.occurred < ${param(p, g.before)}`;
  const range = (prefix: string) => {
    const upper = prefixUpperBound(prefix);
    const lo = `e.event >= ${param(p, prefix)}`;
    return upper === undefined ? lo : `(${lo} AND e.event < ${param(p, upper)})`;
  };
  if (g.prefix !== undefined) where += ` AND ${range(g.prefix)}`;
  for (const ex of g.exclude) where += ` AND NOT ${range(ex)}`;
  return where;
}

export async function countEventsBefore(events: PgEvents, ws: number, g: EventGroup): Promise<number> {
  const p: unknown[] = [];
  const row = await events.db.one<{ n: number }>(
    `SELECT count(*)::int8 AS n FROM events e WHERE ${groupWhere(ws, g, p)}`,
    p,
  );
  return Number(row?.n ?? 0);
}

export async function deleteEventsBefore(events: PgEvents, ws: number, g: EventGroup, limit: number): Promise<number> {
  // Rows are decoded inside the transaction; the tenant is read (and cached) before it, so that
  // decoding never waits on a second pooled connection (a pool of one or two would deadlock).
  await events.tenantOf(ws);
  return events.db.tx(async (c) => {
    const p: unknown[] = [];
    const where = groupWhere(ws, g, p);
    const rows = (
      await c.query(
        `SELECT ${COLUMNS} FROM events e WHERE ${where} ORDER BY e.occurred, e.id LIMIT ${param(p, limit)}`,
        p,
      )
    ).rows;
    if (rows.length === 0) return 0;
    const gone = await events.toEvents(rows);
    // The keys' time range, inlined (integers of ours): an `IN` list prunes no partition, and
    // planning every one of them cost more than the delete.
    const occurred = gone.map((e) => e.occurred);
    await c.query(
      `DELETE FROM events WHERE ws = $1 AND occurred BETWEEN ${Math.min(...occurred)} AND ${Math.max(...occurred)}
         AND (occurred, seq) IN (SELECT * FROM unnest($2::int8[], $3::int8[]))`,
      [ws, occurred, gone.map((e) => e.seq)],
    );
    await dropRunCounts(
      c,
      ws,
      flowRunEventCounts(gone, () => ws),
    );
    await correctRollups(c, ws, gone);
    await recomputeTags(
      c,
      ws,
      tagDeltas(gone, () => ws),
    );
    return gone.length;
  });
}

async function dropRunCounts(c: pg.PoolClient, ws: number, counts: FlowRunEventCount[]): Promise<void> {
  if (!counts.length) return;
  await c.query(
    `UPDATE flow_run_event_counts f SET own = f.own - d.own, task = f.task - d.task
     FROM unnest($2::text[], $3::int8[], $4::int8[]) AS d(id, own, task) WHERE f.ws = $1 AND f.flow_run_id = d.id`,
    [ws, counts.map((x) => x.id), counts.map((x) => x.own), counts.map((x) => x.task)],
  );
  await c.query(
    'DELETE FROM flow_run_event_counts WHERE ws = $1 AND flow_run_id = ANY($2::text[]) AND own <= 0 AND task <= 0',
    [ws, counts.map((x) => x.id)],
  );
}

/** Rows of a partition read per query while taking a dropped day's events off the derived tables. */
const DAY_READ = 5000;

/**
 * Retention on whole days (ADR 43): empties, then drops, every day partition of events that ends at
 * or before `before` — no row deletes — in one transaction per day: its hours' rollups go whole,
 * per-run counters drop by its events, and the tags it carried are recomputed. Account-scope events
 * of those days go too. Returns how many days went, and events per tenant key.
 */
export async function dropEventDaysBefore(
  events: PgEvents,
  before: number,
): Promise<{ partitions: number; rows: Map<number, number> }> {
  const { partitions, counted } = await events.partitions.expireDays(before, takeEventDay);
  const rows = new Map<number, number>();
  for (const day of counted) for (const [ws, n] of day) rows.set(ws, (rows.get(ws) ?? 0) + n);
  return { partitions, rows };
}

/**
 * Inside a day's expiry transaction: takes the events of partition `name` off the derived tables.
 * Events per `ws` key, or undefined when the partition holds none.
 */
async function takeEventDay(c: pg.PoolClient, name: string, day: number): Promise<Map<number, number> | undefined> {
  const runCounts = new Map<string, FlowRunEventCount>();
  const tags = new Map<string, { ws: number; name: string; n: number }>();
  const counted = new Map<number, number>();
  for (let after = -1; ; ) {
    const page = (
      await c.query(
        `SELECT ws, seq, occurred, resource_id, related FROM ${name} WHERE seq > $1 ORDER BY seq LIMIT ${DAY_READ}`,
        [after],
      )
    ).rows as { ws: number; seq: number; occurred: number; resource_id: string; related: StoredEvent['related'] }[];
    if (page.length === 0) break;
    after = page[page.length - 1].seq;
    for (const r of page) counted.set(r.ws, (counted.get(r.ws) ?? 0) + 1);
    const wsOf = new Map<StoredEvent, number>();
    const evs = page.map((r) => {
      // Only workspace events (ws ≥ 0) feed counters and tags; the id itself is not needed.
      const e = {
        workspaceId: r.ws >= 0 ? '' : null,
        resourceId: r.resource_id,
        related: r.related,
        occurred: r.occurred,
      } as StoredEvent;
      wsOf.set(e, r.ws);
      return e;
    });
    for (const x of flowRunEventCounts(evs, (e) => wsOf.get(e)!)) {
      const key = `${x.ws} ${x.id}`;
      const sum = runCounts.get(key) ?? { ws: x.ws, id: x.id, own: 0, task: 0 };
      runCounts.set(key, { ...sum, own: sum.own + x.own, task: sum.task + x.task });
    }
    for (const t of tagDeltas(evs, (e) => wsOf.get(e)!)) {
      const key = `${t.ws} ${t.name}`;
      const sum = tags.get(key) ?? { ws: t.ws, name: t.name, n: 0 };
      tags.set(key, { ...sum, n: sum.n + t.n });
    }
  }
  if (!counted.size) return undefined;
  const lo = day * DAY;
  await c.query('DELETE FROM event_rollup_names WHERE hour >= $1 AND hour < $2', [lo, lo + DAY]);
  await c.query('DELETE FROM event_rollup_resources WHERE hour >= $1 AND hour < $2', [lo, lo + DAY]);
  const byWs = <T extends { ws: number }>(list: T[]) => {
    const m = new Map<number, T[]>();
    for (const x of list) m.set(x.ws, [...(m.get(x.ws) ?? []), x]);
    return m;
  };
  for (const [ws, list] of byWs([...runCounts.values()])) await dropRunCounts(c, ws, list);
  for (const [ws, list] of byWs([...tags.values()])) await recomputeTags(c, ws, list, { lo, hi: lo + DAY });
  return counted;
}

/**
 * The rollup rows the deleted events fed: counts drop, a row at zero goes, and a surviving row's
 * first/last `occurred` are read again from its key's remaining events of that hour (index seeks).
 * Its latest name stays unless the event that gave it went: deletions go oldest first, so then no
 * remaining event of the key carries a name.
 */
async function correctRollups(c: pg.PoolClient, ws: number, gone: StoredEvent[]): Promise<void> {
  // Account-level events (`ws` = −account key) feed the names rollup only.
  const touched = rollupDeltas(gone, () => ({ acct: 0, ws, inWorkspace: ws >= 0 }));
  for (const a of touched.names) {
    const key = 'ws = $1 AND hour = $2 AND event = $3 AND actor = $4';
    const params = [ws, a.hour, a.event, a.actor];
    await c.query(`UPDATE event_rollup_names SET n = n - $5 WHERE ${key}`, [...params, a.n]);
    await c.query(`DELETE FROM event_rollup_names WHERE ${key} AND n <= 0`, params);
    const actor = a.actor === '' ? 'actor_id IS NULL' : 'actor_id = $5';
    const edge = async (dir: string) =>
      (
        await c.query(
          `SELECT occurred FROM events WHERE ws = $1 AND event = $3 AND occurred >= $2 AND occurred < $2 + ${HOUR}
             AND ($4::text IS NOT NULL) AND ${actor} ORDER BY occurred ${dir} LIMIT 1`,
          a.actor === '' ? params : [...params, a.actor],
        )
      ).rows[0]?.occurred as number | undefined;
    const first = await edge('ASC');
    if (first === undefined) continue;
    await c.query(
      `UPDATE event_rollup_names SET first_occurred = $5, last_occurred = $6,
         actor_name = CASE WHEN actor_name_at < $5 THEN NULL ELSE actor_name END,
         actor_name_at = CASE WHEN actor_name_at < $5 THEN NULL ELSE actor_name_at END WHERE ${key}`,
      [...params, first, (await edge('DESC')) ?? first],
    );
  }
  for (const b of touched.resources) {
    const key = 'ws = $1 AND resource_id = $2 AND hour = $3 AND event = $4';
    const params = [ws, b.resourceId, b.hour, b.event];
    await c.query(`UPDATE event_rollup_resources SET n = n - $5 WHERE ${key}`, [...params, b.n]);
    await c.query(`DELETE FROM event_rollup_resources WHERE ${key} AND n <= 0`, params);
    const edge = async (dir: string) =>
      (
        await c.query(
          `SELECT occurred FROM events WHERE ws = $1 AND resource_id = $2 AND occurred >= $3 AND occurred < $3 + ${HOUR}
             AND event = $4 ORDER BY occurred ${dir} LIMIT 1`,
          params,
        )
      ).rows[0]?.occurred as number | undefined;
    const first = await edge('ASC');
    if (first === undefined) continue;
    await c.query(
      `UPDATE event_rollup_resources SET first_occurred = $5, last_occurred = $6,
         name = CASE WHEN name_at < $5 THEN NULL ELSE name END,
         name_at = CASE WHEN name_at < $5 THEN NULL ELSE name_at END WHERE ${key}`,
      [...params, first, (await edge('DESC')) ?? first],
    );
  }
}

const CARRIES =
  "EXISTS (SELECT 1 FROM json_array_elements(e.related) r WHERE r->>'prefect.resource.role' = 'tag' AND r->>'prefect.resource.id' = $3)";

/**
 * Tags of the deleted events that are still in the index: count, first and last seen read again
 * from the remaining events (a tag the user deleted is not brought back; one without events goes).
 * A frequent tag keeps its decremented count and has its two ends found in time order.
 */
async function recomputeTags(
  c: pg.PoolClient,
  ws: number,
  gone: { name: string; n: number }[],
  outside?: { lo: number; hi: number },
): Promise<void> {
  // With `outside`, the events that remain are those outside that range (a day about to be dropped).
  const keep = outside ? ` AND (e.occurred < ${outside.lo} OR e.occurred >= ${outside.hi})` : '';
  for (const t of gone) {
    const row = (await c.query('SELECT n FROM tags WHERE ws = $1 AND name = $2', [ws, t.name])).rows[0] as
      | { n: number }
      | undefined;
    if (!row) continue;
    const n = Number(row.n) - t.n;
    const params = [ws, ridHash(`prefect.tag.${t.name}`), `prefect.tag.${t.name}`];
    const base = `FROM events e WHERE e.ws = $1 AND e.rid_hashes && ARRAY[$2::bigint] AND ${CARRIES}${keep}`;
    let seen: { n: number; first: number | null; last: number | null };
    if (n > TAG_FULL_READ) {
      const edge = async (dir: string) =>
        ((await c.query(`SELECT e.occurred ${base} ORDER BY e.occurred ${dir} LIMIT 1`, params)).rows[0]?.occurred ??
          null) as number | null;
      seen = { n, first: await edge('ASC'), last: await edge('DESC') };
    } else if (n > 0) {
      const r = (
        await c.query(`SELECT count(*)::int8 AS n, min(e.occurred) AS first, max(e.occurred) AS last ${base}`, params)
      ).rows[0];
      seen = { n: Number(r.n), first: r.first, last: r.last };
    } else seen = { n: 0, first: null, last: null };
    if (seen.n <= 0 || seen.first === null) await c.query('DELETE FROM tags WHERE ws = $1 AND name = $2', [ws, t.name]);
    else
      await c.query('UPDATE tags SET n = $3, first_seen = $4, last_seen = $5 WHERE ws = $1 AND name = $2', [
        ws,
        t.name,
        seen.n,
        seen.first,
        seen.last ?? seen.first,
      ]);
  }
}
