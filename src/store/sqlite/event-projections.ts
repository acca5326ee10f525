/**
 * The projections the SQLite engine runs inside every event append transaction, in order: the
 * deltas of `event-deltas.ts` upserted row by row (plus the task-run recorder, added by the store).
 * They see only newly inserted events, never duplicates.
 */
import type { StoredEvent } from '../../domain/events.ts';
import { flowRunEventCounts, rollupDeltas, tagDeltas } from '../shared/event-deltas.ts';
import type { SqliteEventProjection, SqliteEventTx } from './events.ts';

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
    const d = rollupDeltas(inserted, (e) => {
      const ws = tx.ws(e);
      return { acct: tx.acct(e), ws, inWorkspace: ws !== 0 };
    });
    const names = tx.db.stmt(UPSERT_NAMES);
    for (const a of d.names)
      names.run(a.acct, a.ws, a.hour, a.event, a.actor, a.n, a.first, a.last, a.actorName, a.actorNameAt);
    const resources = tx.db.stmt(UPSERT_RESOURCES);
    for (const b of d.resources)
      resources.run(b.acct, b.ws, b.resourceId, b.hour, b.event, b.n, b.first, b.last, b.name, b.nameAt);
  },
};

/** Events per flow run, own and of its task runs: the ETag of a run's events page. */
export const flowRunCountsProjection: SqliteEventProjection = {
  name: 'flow-run-event-counts',
  apply(tx: SqliteEventTx, inserted: StoredEvent[]) {
    const upsert = tx.db.stmt(
      'INSERT INTO flow_run_event_counts (ws, flow_run_id, own, task) VALUES (?, ?, ?, ?) ' +
        'ON CONFLICT DO UPDATE SET own = own + excluded.own, task = task + excluded.task',
    );
    for (const c of flowRunEventCounts(inserted, (e) => tx.ws(e))) upsert.run(c.ws, c.id, c.own, c.task);
  },
};

/** The workspace tag index: first and last `occurred` and a count per tag. */
export const tagProjection: SqliteEventProjection = {
  name: 'tags',
  apply(tx: SqliteEventTx, inserted: StoredEvent[]) {
    const upsert = tx.db.stmt(
      'INSERT INTO tags (ws, name, first_seen, last_seen, n) VALUES (?, ?, ?, ?, ?) ' +
        'ON CONFLICT DO UPDATE SET first_seen = min(first_seen, excluded.first_seen), ' +
        'last_seen = max(last_seen, excluded.last_seen), n = n + excluded.n',
    );
    for (const t of tagDeltas(inserted, (e) => tx.ws(e))) upsert.run(t.ws, t.name, t.first, t.last, t.n);
  },
};

export function sqliteEventProjections(): SqliteEventProjection[] {
  return [rollupProjection, flowRunCountsProjection, tagProjection];
}
