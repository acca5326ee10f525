/**
 * SQLite: retention's event deletions. One batch is one transaction that removes the oldest events
 * of a name group and corrects what the append projections derived from them (ADR 42): the
 * related-id index, per-run event counters (decremented), the hourly rollup rows they fed
 * (decremented, their first/last read again) and the tags still in the index (recomputed).
 */
import { tagsOf } from '../../domain/event-derived.ts';
import type { StoredEvent } from '../../domain/events.ts';
import type { EventGroup, EventOwner } from '../../domain/retention.ts';
import { HOUR } from '../shared/event-count-plan.ts';
import { flowRunEventCounts, rollupDeltas, tagDeltas } from '../shared/event-deltas.ts';
import { prefixUpperBound, ridHash } from '../shared/event-keys.ts';
import { COLUMNS, type EventRow, type SqliteEvents } from './events.ts';

type Param = string | number;

/** Below this many events a tag is read again whole; above, its count is decremented and its ends looked up. */
const TAG_INDEX_READ = 500;

/** `events.ws` and `acct` of an owner: account-level events are `ws` 0 of their account. */
interface Tenant {
  ws: number;
  acct: number;
}

function tenantOf(events: SqliteEvents, owner: EventOwner): Tenant | undefined {
  const ws = owner.workspaceId === null ? 0 : events.tenancyKey(owner.workspaceId);
  const acct = events.accountKey(owner.accountId);
  return ws === undefined || acct === undefined ? undefined : { ws, acct };
}

function groupWhere(t: Tenant, g: EventGroup, params: Param[]): string {
  let where = 'e.ws = ? AND e.acct = ? AND e.occurred < ?';
  params.push(t.ws, t.acct, g.before);
  const range = (prefix: string) => {
    const upper = prefixUpperBound(prefix);
    params.push(prefix);
    if (upper === undefined) return 'e.event >= ?';
    params.push(upper);
    return '(e.event >= ? AND e.event < ?)';
  };
  if (g.prefix !== undefined) where += ` AND ${range(g.prefix)}`;
  for (const ex of g.exclude) where += ` AND NOT ${range(ex)}`;
  return where;
}

export function countEventsBefore(events: SqliteEvents, owner: EventOwner, g: EventGroup): number {
  const t = tenantOf(events, owner);
  if (t === undefined) return 0;
  const params: Param[] = [];
  const where = groupWhere(t, g, params);
  return Number(
    (events.db.stmt(`SELECT count(*) AS n FROM events e WHERE ${where}`).get(...params) as { n: number }).n,
  );
}

export function deleteEventsBefore(events: SqliteEvents, owner: EventOwner, g: EventGroup, limit: number): number {
  const t = tenantOf(events, owner);
  if (t === undefined || limit <= 0) return 0;
  const { ws } = t;
  const db = events.db;
  return db.tx(() => {
    const params: Param[] = [];
    const where = groupWhere(t, g, params);
    const rows = db
      .stmt(`SELECT ${COLUMNS} FROM events e WHERE ${where} ORDER BY e.occurred, e.id LIMIT ?`)
      .all(...params, limit) as unknown as EventRow[];
    if (rows.length === 0) return 0;
    const gone = rows.map((r) => events.toEvent(r));
    db.stmt('DELETE FROM events WHERE seq IN (SELECT value FROM json_each(?))').run(
      JSON.stringify(gone.map((e) => e.seq)),
    );
    const related = db.stmt('DELETE FROM event_related WHERE rid_hash = ? AND seq = ?');
    for (const e of gone) for (const r of e.related) related.run(ridHash(r['prefect.resource.id']), e.seq);
    for (const c of flowRunEventCounts(gone, () => ws)) {
      db.stmt('UPDATE flow_run_event_counts SET own = own - ?, task = task - ? WHERE ws = ? AND flow_run_id = ?').run(
        c.own,
        c.task,
        ws,
        c.id,
      );
      db.stmt('DELETE FROM flow_run_event_counts WHERE ws = ? AND flow_run_id = ? AND own <= 0 AND task <= 0').run(
        ws,
        c.id,
      );
    }
    recomputeRollups(events, t, gone);
    recomputeTags(events, ws, gone);
    return gone.length;
  });
}

/**
 * The rollup rows the deleted events fed: counts drop, a row at zero goes, and a surviving row's
 * first/last `occurred` are read again from its key's remaining events of that hour (two index
 * seeks). Its latest name stays unless the event that gave it went: deletions go oldest first, so
 * then no remaining event of the key carries a name.
 */
function recomputeRollups(events: SqliteEvents, { ws, acct }: Tenant, gone: StoredEvent[]): void {
  const db = events.db;
  const touched = rollupDeltas(gone, () => ({ acct, ws, inWorkspace: ws !== 0 }));
  for (const a of touched.names) {
    const key = 'acct = ? AND ws = ? AND hour = ? AND event = ? AND actor = ?';
    const params = [a.acct, ws, a.hour, a.event, a.actor];
    db.stmt(`UPDATE event_rollup_names SET n = n - ? WHERE ${key}`).run(a.n, ...params);
    db.stmt(`DELETE FROM event_rollup_names WHERE ${key} AND n <= 0`).run(...params);
    const actor = a.actor === '' ? 'actor_id IS NULL' : 'actor_id = ?';
    const edge = (dir: string) =>
      (
        db
          .stmt(
            `SELECT occurred FROM events INDEXED BY events_ws_event WHERE ws = ? AND acct = ? AND event = ? AND occurred >= ? AND occurred < ? AND ${actor} ORDER BY occurred ${dir} LIMIT 1`,
          )
          .get(ws, acct, a.event, a.hour, a.hour + HOUR, ...(a.actor === '' ? [] : [a.actor])) as
          | { occurred: number }
          | undefined
      )?.occurred;
    const first = edge('ASC');
    if (first === undefined) continue;
    db.stmt(
      `UPDATE event_rollup_names SET first_occurred = ?, last_occurred = ?,
         actor_name = CASE WHEN actor_name_at < ? THEN NULL ELSE actor_name END,
         actor_name_at = CASE WHEN actor_name_at < ? THEN NULL ELSE actor_name_at END WHERE ${key}`,
    ).run(first, edge('DESC') ?? first, first, first, ...params);
  }
  for (const b of touched.resources) {
    const key = 'ws = ? AND resource_id = ? AND hour = ? AND event = ? AND acct = ?';
    const params = [ws, b.resourceId, b.hour, b.event, b.acct];
    db.stmt(`UPDATE event_rollup_resources SET n = n - ? WHERE ${key}`).run(b.n, ...params);
    db.stmt(`DELETE FROM event_rollup_resources WHERE ${key} AND n <= 0`).run(...params);
    const edge = (dir: string) =>
      (
        db
          .stmt(
            `SELECT occurred FROM events INDEXED BY events_ws_resource WHERE ws = ? AND resource_id = ? AND occurred >= ? AND occurred < ? AND event = ? ORDER BY occurred ${dir} LIMIT 1`,
          )
          .get(ws, b.resourceId, b.hour, b.hour + HOUR, b.event) as { occurred: number } | undefined
      )?.occurred;
    const first = edge('ASC');
    if (first === undefined) continue;
    db.stmt(
      `UPDATE event_rollup_resources SET first_occurred = ?, last_occurred = ?,
         name = CASE WHEN name_at < ? THEN NULL ELSE name END,
         name_at = CASE WHEN name_at < ? THEN NULL ELSE name_at END WHERE ${key}`,
    ).run(first, edge('DESC') ?? first, first, first, ...params);
  }
}

/**
 * Tags of the deleted events that are still in the index (a tag the user deleted is not brought
 * back; one without events goes). A rare tag is read again whole through the related-id index;
 * a frequent one keeps its decremented count and has an end looked up only when a deleted event
 * was that end — walking the time index from the old end, where a frequent tag shows up soon.
 */
function recomputeTags(events: SqliteEvents, ws: number, gone: StoredEvent[]): void {
  const db = events.db;
  for (const t of tagDeltas(gone, () => ws)) {
    const row = db.stmt('SELECT n, first_seen, last_seen FROM tags WHERE ws = ? AND name = ?').get(ws, t.name) as
      | { n: number; first_seen: number; last_seen: number }
      | undefined;
    if (!row) continue;
    const n = row.n - t.n;
    let seen: { n?: number; first: number; last: number } | undefined;
    if (n <= 0) seen = undefined;
    else if (n <= TAG_INDEX_READ) seen = tagSeenByIndex(events, ws, t.name);
    else {
      const first = t.first > row.first_seen ? row.first_seen : tagEdgeNear(events, ws, t.name, row.first_seen, 'ASC');
      const last = t.last < row.last_seen ? row.last_seen : tagEdgeNear(events, ws, t.name, row.last_seen, 'DESC');
      seen = first === undefined ? undefined : { first, last: last ?? first };
    }
    if (!seen) db.stmt('DELETE FROM tags WHERE ws = ? AND name = ?').run(ws, t.name);
    else
      db.stmt('UPDATE tags SET n = ?, first_seen = ?, last_seen = ? WHERE ws = ? AND name = ?').run(
        seen.n ?? n,
        seen.first,
        seen.last,
        ws,
        t.name,
      );
  }
}

const carries = (name: string) => (r: EventRow) => tagsOf({ related: JSON.parse(r.related) }).includes(name);

/** A rare tag: every remaining event carrying it, through the related-id index. */
function tagSeenByIndex(
  events: SqliteEvents,
  ws: number,
  name: string,
): { n?: number; first: number; last: number } | undefined {
  const rows = (
    events.db
      .stmt(
        'SELECT e.occurred, e.related FROM events e WHERE e.seq IN (SELECT seq FROM event_related WHERE rid_hash = ?) AND e.ws = ?',
      )
      .all(ridHash(`prefect.tag.${name}`), ws) as unknown as EventRow[]
  ).filter(carries(name));
  if (rows.length === 0) return undefined;
  let first = rows[0].occurred;
  let last = first;
  for (const r of rows) {
    first = Math.min(first, r.occurred);
    last = Math.max(last, r.occurred);
  }
  return { n: rows.length, first, last };
}

/** Events read walking the time index before falling back to the tag's related-id index. */
const EDGE_WALK = 2_000;

/**
 * A frequent tag's earliest (ASC) or latest (DESC) remaining event, walking the time index from
 * `from` (no remaining event of the tag lies beyond it); after `EDGE_WALK` events without one, its
 * events are ordered through the related-id index.
 */
function tagEdgeNear(
  events: SqliteEvents,
  ws: number,
  name: string,
  from: number,
  dir: 'ASC' | 'DESC',
): number | undefined {
  const near = events.db.stmt(
    `SELECT e.occurred, e.related FROM events e INDEXED BY events_ws_occurred WHERE e.ws = ? AND e.occurred ${dir === 'ASC' ? '>=' : '<='} ? ORDER BY e.occurred ${dir} LIMIT ${EDGE_WALK}`,
  );
  for (const r of near.iterate(ws, from) as Iterable<EventRow>) if (carries(name)(r)) return r.occurred;
  const stmt = events.db.stmt(
    `SELECT e.occurred, e.related FROM events e WHERE e.ws = ? AND e.seq IN (SELECT seq FROM event_related WHERE rid_hash = ?) ORDER BY e.occurred ${dir}`,
  );
  for (const r of stmt.iterate(ws, ridHash(`prefect.tag.${name}`)) as Iterable<EventRow>)
    if (carries(name)(r)) return r.occurred;
  return undefined;
}
