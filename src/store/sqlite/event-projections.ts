/**
 * The projections the SQLite engine runs inside every event append transaction, in order. Each
 * resource that derives state from events adds its projection here (the runs branch adds the
 * task-run recorder). They see only newly inserted events, never duplicates.
 */
import type { StoredEvent } from '../../domain/events.ts';
import { actorOf, flowRunOfTaskRunEvent, resourceName, tagsOf } from '../../domain/event-derived.ts';
import type { SqliteEventProjection, SqliteEventTx } from './events.ts';

const HOUR = 3_600_000_000;

function hourOf(t: number): number {
  return Math.floor(t / HOUR) * HOUR;
}

interface Agg {
  acct: number;
  ws: number;
  hour: number;
  event: string;
  resourceId: string;
  n: number;
  first: number;
  last: number;
  name: string | null;
  nameAt: number | null;
}

interface NameAgg {
  acct: number;
  ws: number;
  hour: number;
  event: string;
  actor: string;
  n: number;
  first: number;
  last: number;
  actorName: string | null;
  actorNameAt: number | null;
}

const UPSERT_NAMES =
  'INSERT INTO event_rollup_names (acct, ws, hour, event, actor, n, first_occurred, last_occurred, actor_name, actor_name_at) ' +
  'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ' +
  'ON CONFLICT DO UPDATE SET n = n + excluded.n, first_occurred = min(first_occurred, excluded.first_occurred), ' +
  'last_occurred = max(last_occurred, excluded.last_occurred), ' +
  'actor_name = CASE WHEN excluded.actor_name_at IS NOT NULL AND (actor_name_at IS NULL OR excluded.actor_name_at >= actor_name_at) THEN excluded.actor_name ELSE actor_name END, ' +
  'actor_name_at = CASE WHEN excluded.actor_name_at IS NOT NULL AND (actor_name_at IS NULL OR excluded.actor_name_at >= actor_name_at) THEN excluded.actor_name_at ELSE actor_name_at END';

const UPSERT_RESOURCES =
  'INSERT INTO event_rollup_resources (acct, ws, resource_id, hour, event, n, first_occurred, last_occurred, name, name_at) ' +
  'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ' +
  'ON CONFLICT DO UPDATE SET n = n + excluded.n, first_occurred = min(first_occurred, excluded.first_occurred), ' +
  'last_occurred = max(last_occurred, excluded.last_occurred), ' +
  'name = CASE WHEN excluded.name_at IS NOT NULL AND (name_at IS NULL OR excluded.name_at >= name_at) THEN excluded.name ELSE name END, ' +
  'name_at = CASE WHEN excluded.name_at IS NOT NULL AND (name_at IS NULL OR excluded.name_at >= name_at) THEN excluded.name_at ELSE name_at END';

/** Hourly counts per (tenant, event name, actor) and per (workspace, resource, event name). */
export const rollupProjection: SqliteEventProjection = {
  name: 'event-rollups',
  apply(tx: SqliteEventTx, inserted: StoredEvent[]) {
    const byName = new Map<string, NameAgg>();
    const byResource = new Map<string, Agg>();
    for (const e of inserted) {
      const acct = tx.acct(e);
      const ws = tx.ws(e);
      const hour = hourOf(e.occurred);
      const actor = actorOf(e);
      const actorId = actor?.['prefect.resource.id'] ?? '';
      const actorName = actor?.['prefect.resource.name'] || null;
      const nk = `${acct}\u0000${ws}\u0000${hour}\u0000${e.event}\u0000${actorId}`;
      const a = byName.get(nk);
      if (!a) {
        byName.set(nk, { acct, ws, hour, event: e.event, actor: actorId, n: 1, first: e.occurred, last: e.occurred, actorName, actorNameAt: actorName === null ? null : e.occurred });
      } else {
        a.n++;
        a.first = Math.min(a.first, e.occurred);
        a.last = Math.max(a.last, e.occurred);
        if (actorName !== null && (a.actorNameAt === null || e.occurred >= a.actorNameAt)) {
          a.actorName = actorName;
          a.actorNameAt = e.occurred;
        }
      }
      if (ws === 0) continue;
      const name = resourceName(e.resource);
      const rk = `${ws}\u0000${hour}\u0000${e.event}\u0000${e.resourceId}`;
      const b = byResource.get(rk);
      if (!b) {
        byResource.set(rk, { acct, ws, hour, event: e.event, resourceId: e.resourceId, n: 1, first: e.occurred, last: e.occurred, name, nameAt: name === null ? null : e.occurred });
      } else {
        b.n++;
        b.first = Math.min(b.first, e.occurred);
        b.last = Math.max(b.last, e.occurred);
        if (name !== null && (b.nameAt === null || e.occurred >= b.nameAt)) {
          b.name = name;
          b.nameAt = e.occurred;
        }
      }
    }
    const names = tx.db.stmt(UPSERT_NAMES);
    for (const a of byName.values()) names.run(a.acct, a.ws, a.hour, a.event, a.actor, a.n, a.first, a.last, a.actorName, a.actorNameAt);
    const resources = tx.db.stmt(UPSERT_RESOURCES);
    for (const b of byResource.values()) resources.run(b.acct, b.ws, b.resourceId, b.hour, b.event, b.n, b.first, b.last, b.name, b.nameAt);
  },
};

/** Events per flow run, own and of its task runs: the ETag of a run's events page. */
export const flowRunCountsProjection: SqliteEventProjection = {
  name: 'flow-run-event-counts',
  apply(tx: SqliteEventTx, inserted: StoredEvent[]) {
    const counts = new Map<string, { ws: number; id: string; own: number; task: number }>();
    const bump = (ws: number, id: string, kind: 'own' | 'task') => {
      const key = `${ws}\u0000${id}`;
      let c = counts.get(key);
      if (!c) {
        c = { ws, id, own: 0, task: 0 };
        counts.set(key, c);
      }
      c[kind]++;
    };
    for (const e of inserted) {
      if (e.workspaceId === null) continue;
      if (e.resourceId.startsWith('prefect.flow-run.')) bump(tx.ws(e), e.resourceId.slice('prefect.flow-run.'.length), 'own');
      const run = flowRunOfTaskRunEvent(e);
      if (run) bump(tx.ws(e), run, 'task');
    }
    const upsert = tx.db.stmt(
      'INSERT INTO flow_run_event_counts (ws, flow_run_id, own, task) VALUES (?, ?, ?, ?) ' +
        'ON CONFLICT DO UPDATE SET own = own + excluded.own, task = task + excluded.task',
    );
    for (const c of counts.values()) upsert.run(c.ws, c.id, c.own, c.task);
  },
};

/** The workspace tag index: first and last `occurred` and a count per tag. */
export const tagProjection: SqliteEventProjection = {
  name: 'tags',
  apply(tx: SqliteEventTx, inserted: StoredEvent[]) {
    const tags = new Map<string, { ws: number; name: string; first: number; last: number; n: number }>();
    for (const e of inserted) {
      if (e.workspaceId === null) continue;
      for (const name of tagsOf(e)) {
        const ws = tx.ws(e);
        const key = `${ws}\u0000${name}`;
        const t = tags.get(key);
        if (!t) tags.set(key, { ws, name, first: e.occurred, last: e.occurred, n: 1 });
        else {
          t.n++;
          if (e.occurred < t.first) t.first = e.occurred;
          if (e.occurred > t.last) t.last = e.occurred;
        }
      }
    }
    const upsert = tx.db.stmt(
      'INSERT INTO tags (ws, name, first_seen, last_seen, n) VALUES (?, ?, ?, ?, ?) ' +
        'ON CONFLICT DO UPDATE SET first_seen = min(first_seen, excluded.first_seen), ' +
        'last_seen = max(last_seen, excluded.last_seen), n = n + excluded.n',
    );
    for (const t of tags.values()) upsert.run(t.ws, t.name, t.first, t.last, t.n);
  },
};

export function sqliteEventProjections(): SqliteEventProjection[] {
  return [rollupProjection, flowRunCountsProjection, tagProjection];
}
