/**
 * PostgreSQL: retention's event deletions (ADR 42). One batch is one transaction that removes the
 * oldest events of a name group and corrects what the append projections derived from them: per-run
 * event counters (decremented), the hourly rollups of every touched hour (rebuilt by the rollup
 * projection from the hour's remaining events) and the tags still in the index (recomputed).
 */
import type pg from 'pg';
import type { StoredEvent } from '../../domain/events.ts';
import type { EventGroup } from '../../domain/retention.ts';
import { HOUR } from '../shared/event-count-plan.ts';
import { flowRunEventCounts, tagDeltas } from '../shared/event-deltas.ts';
import { prefixUpperBound, ridHash } from '../shared/event-keys.ts';
import { param } from './dialect.ts';
import { rollupProjection } from './event-projections.ts';
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
    await c.query(
      'DELETE FROM events WHERE ws = $1 AND (occurred, seq) IN (SELECT * FROM unnest($2::int8[], $3::int8[]))',
      [ws, gone.map((e) => e.occurred), gone.map((e) => e.seq)],
    );
    const counts = flowRunEventCounts(gone, () => ws);
    if (counts.length) {
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
    await rebuildHours(events, c, ws, gone);
    await recomputeTags(c, ws, gone);
    return gone.length;
  });
}

/** Every hour the deleted events fell in: its rollup rows dropped and rebuilt from the events left in it. */
async function rebuildHours(events: PgEvents, c: pg.PoolClient, ws: number, gone: StoredEvent[]): Promise<void> {
  const byHour = new Map<number, StoredEvent[]>();
  for (const e of gone) {
    const hour = Math.floor(e.occurred / HOUR) * HOUR;
    byHour.set(hour, [...(byHour.get(hour) ?? []), e]);
  }
  for (const [hour, deleted] of byHour) {
    const left = await events.toEvents(
      (
        await c.query(`SELECT ${COLUMNS} FROM events e WHERE e.ws = $1 AND e.occurred >= $2 AND e.occurred < $3`, [
          ws,
          hour,
          hour + HOUR,
        ])
      ).rows,
    );
    await c.query('DELETE FROM event_rollup_names WHERE ws = $1 AND hour = $2', [ws, hour]);
    const resources = [...new Set([...deleted, ...left].map((e) => e.resourceId))];
    await c.query('DELETE FROM event_rollup_resources WHERE ws = $1 AND resource_id = ANY($2::text[]) AND hour = $3', [
      ws,
      resources,
      hour,
    ]);
    if (left.length) await rollupProjection.apply({ c, ws: () => ws }, left);
  }
}

const CARRIES =
  "EXISTS (SELECT 1 FROM json_array_elements(e.related) r WHERE r->>'prefect.resource.role' = 'tag' AND r->>'prefect.resource.id' = $3)";

/**
 * Tags of the deleted events that are still in the index: count, first and last seen read again
 * from the remaining events (a tag the user deleted is not brought back; one without events goes).
 * A frequent tag keeps its decremented count and has its two ends found in time order.
 */
async function recomputeTags(c: pg.PoolClient, ws: number, gone: StoredEvent[]): Promise<void> {
  for (const t of tagDeltas(gone, () => ws)) {
    const row = (await c.query('SELECT n FROM tags WHERE ws = $1 AND name = $2', [ws, t.name])).rows[0] as
      | { n: number }
      | undefined;
    if (!row) continue;
    const n = Number(row.n) - t.n;
    const params = [ws, ridHash(`prefect.tag.${t.name}`), `prefect.tag.${t.name}`];
    const base = `FROM events e WHERE e.ws = $1 AND e.rid_hashes && ARRAY[$2::bigint] AND ${CARRIES}`;
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
