/**
 * The projections the SQLite engine runs inside every event append transaction, in order. Each
 * resource that derives state from events adds its projection here (the runs branch adds the
 * task-run recorder). They see only newly inserted events, never duplicates.
 */
import type { StoredEvent } from '../../domain/events.ts';
import { flowRunOfTaskRunEvent, resourceName, tagsOf } from '../../domain/event-derived.ts';
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

/** Hourly counts per (tenant, event name) and per (tenant, event name, resource). */
export const rollupProjection: SqliteEventProjection = {
  name: 'event-rollups',
  apply(tx: SqliteEventTx, inserted: StoredEvent[]) {
    const byName = new Map<string, Agg>();
    const byResource = new Map<string, Agg>();
    for (const e of inserted) {
      const acct = tx.acct(e);
      const ws = tx.ws(e);
      const hour = hourOf(e.occurred);
      const name = resourceName(e.resource);
      for (const [map, key] of [
        [byName, `${acct}\u0000${ws}\u0000${hour}\u0000${e.event}`],
        [byResource, `${acct}\u0000${ws}\u0000${hour}\u0000${e.event}\u0000${e.resourceId}`],
      ] as const) {
        const a = map.get(key);
        if (!a) {
          map.set(key, {
            acct,
            ws,
            hour,
            event: e.event,
            resourceId: e.resourceId,
            n: 1,
            first: e.occurred,
            last: e.occurred,
            name,
            nameAt: name === null ? null : e.occurred,
          });
        } else {
          a.n++;
          if (e.occurred < a.first) a.first = e.occurred;
          if (e.occurred > a.last) a.last = e.occurred;
          if (name !== null && (a.nameAt === null || e.occurred >= a.nameAt)) {
            a.name = name;
            a.nameAt = e.occurred;
          }
        }
      }
    }
    const names = tx.db.stmt(
      'INSERT INTO event_rollup_names (acct, ws, hour, event, n, first_occurred, last_occurred) VALUES (?, ?, ?, ?, ?, ?, ?) ' +
        'ON CONFLICT DO UPDATE SET n = n + excluded.n, first_occurred = min(first_occurred, excluded.first_occurred), ' +
        'last_occurred = max(last_occurred, excluded.last_occurred)',
    );
    for (const a of byName.values()) names.run(a.acct, a.ws, a.hour, a.event, a.n, a.first, a.last);
    const resources = tx.db.stmt(
      'INSERT INTO event_rollup_resources (acct, ws, resource_id, hour, event, n, first_occurred, last_occurred, name, name_at) ' +
        'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ' +
        'ON CONFLICT DO UPDATE SET n = n + excluded.n, first_occurred = min(first_occurred, excluded.first_occurred), ' +
        'last_occurred = max(last_occurred, excluded.last_occurred), ' +
        'name = CASE WHEN excluded.name_at IS NOT NULL AND (name_at IS NULL OR excluded.name_at >= name_at) THEN excluded.name ELSE name END, ' +
        'name_at = CASE WHEN excluded.name_at IS NOT NULL AND (name_at IS NULL OR excluded.name_at >= name_at) THEN excluded.name_at ELSE name_at END',
    );
    for (const a of byResource.values()) resources.run(a.acct, a.ws, a.resourceId, a.hour, a.event, a.n, a.first, a.last, a.name, a.nameAt);
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
